import sys,re
lines=open(sys.argv[1]).read().splitlines()
a,b=int(sys.argv[2],16),int(sys.argv[3],16)
i=0
out=[]
while i < len(lines)-1:
    m=re.match(r'\s*/\*([0-9a-f]{4,})\*/\s+(.*?);\s*/\* (0x[0-9a-f]+) \*/',lines[i])
    if m:
        addr=int(m.group(1),16)
        m2=re.search(r'/\* (0x[0-9a-f]+) \*/',lines[i+1])
        hi=int(m2.group(1),16)
        ctrl=hi>>41
        stall=ctrl&0xf; yld=(ctrl>>4)&1; wr=(ctrl>>5)&7; rd=(ctrl>>8)&7; wait=(ctrl>>11)&0x3f
        if a<=addr<=b:
            w=[str(k) for k in range(6) if wait>>k&1]
            print('%05x %-60s S%-2d wr%s rd%s wait[%s]'%(addr,m.group(2)[:60],stall,'-' if wr==7 else wr,'-' if rd==7 else rd,','.join(w)))
        i+=2
    else:
        i+=1
