// Host emulation of gemv_kernel's kPartial (MT<=4) index + dequant math vs layout::weight_position.
#define __host__
#define __device__
#define __forceinline__ inline
#include "common/layout.cuh"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <random>
using namespace w4a16;
static int BUG = 0;
static float u2f(uint32_t x){float f;memcpy(&f,&x,4);return f;}
static uint32_t lop6a(uint32_t a,uint32_t b,uint32_t c){return (a&b)^c;}
static float win0(uint32_t t){return u2f(lop6a(t,0x00078000u,BUG==1?0x3F800000u:0x3F840000u));}
static float win1(uint32_t t){return u2f(lop6a(t,0x00780000u,0x3FC00000u));}
static int lane_row(int g,int r){return 16*(r>>1)+8*(r&1)+g;}
int gshift(long gs,long k){if(gs==k)return 31;for(int s=5;s<=30;++s)if(gs==(1L<<s))return s;return -1;}

int run(long N,long K,int split_k,long gsz,int W,std::mt19937&rng){
  const int MT=2; // two token rows (index math is MT-independent except the act row)
  std::vector<uint8_t> pk(N*K/2);
  std::vector<int> q(N*K); std::vector<double> a(MT*K), sc(N*(K/gsz)), zr(N*(K/gsz));
  for(long n=0;n<N;++n)for(long k=0;k<K;++k){int v=rng()%16; q[n*K+k]=v; int64_t byte;int hi;
    layout::weight_position(n,k,K,&byte,&hi); int nib=v^8; pk[byte]|=nib<<(4*hi);}
  for(auto&x:a)x=((int)(rng()%2001)-1000)/1000.0; for(auto&x:sc)x=(rng()%1000+1)/1000.0; for(auto&x:zr)x=((int)(rng()%2001)-1000)/1000.0;
  std::vector<int> reads(N*K,0);
  std::vector<double> out(MT*N,0.0);
  int gs=gshift(gsz,K);
  long k_tiles=K/64; int tps=(int)(((k_tiles+split_k-1)/split_k+1)&~1L);
  for(long cta=0;cta<N/32;++cta)for(int split=0;split<split_k;++split)for(int warp=0;warp<W;++warp)for(int lane=0;lane<32;++lane){
    int g=lane>>2,c=lane&3; long n_cta=cta*32;
    int t_begin=(int)std::min<long>(k_tiles,(long)split*tps); int n_tiles=(int)std::min<long>(k_tiles-t_begin,tps);
    int n_pairs=(n_tiles+1)/2; int steps=warp<n_pairs?(n_pairs-warp+W-1)/W:0;
    for(int s=0;s<steps;++s){
      int k_step=(t_begin+2*(warp+W*s))*64;
      double part[MT][4]={},asum[MT]={}; int piece_k=k_step;
      auto flush=[&](){ long gi=(long)(piece_k>>gs);
        for(int m=0;m<MT;++m)for(int r=0;r<4;++r){ int row=lane_row(g,r); if(BUG==4&&r==1)row=lane_row(g,3);
          double mul=(r&1)?16:256; double v=part[m][r]*mul-(mul+8)*asum[m];
          out[m*N+n_cta+row]+=v*sc[gi*N+n_cta+row]+asum[m]*zr[gi*N+n_cta+row];}
        memset(part,0,sizeof part);memset(asum,0,sizeof asum);};
      for(int qh=0;qh<4;++qh){int u=qh>>1,h=qh&1; int t=2*(warp+(BUG==6?W-1:W)*s)+u;
        bool one_piece=gs>=7; // kernel: k_loop(std::true_type) skips the checks
        if(!one_piece && qh>0 && ((k_step+32*qh)>>gs)!=((k_step+32*(qh-1))>>gs)){flush(); piece_k=BUG==5?k_step:k_step+32*qh;}
        // activation ring words: word 8c'+t' holds pair x[64(t_begin+t)+2(4t'+c')] (0 if t>=n_tiles)
        for(int jj=0;jj<2;++jj){int j=2*h+jj;
          int wa=8*c+4*h+2*jj, wc=wa+1; // av.x/.z (ka), av.y/.w (kc)
          if(BUG==3) wc=wa;
          auto pair_k=[&](int word){int tp=word%8, cp=word/8; return 64L*(t_begin+t)+2*(4*tp+cp);};
          bool ok=t<n_tiles; long ka=pair_k(wa), kc=pair_k(wc);
          for(int m=0;m<MT;++m){double af[4]={ok?a[m*K+ka]:0,ok?a[m*K+ka+1]:0,ok?a[m*K+kc]:0,ok?a[m*K+kc+1]:0};
            asum[m]+=af[0]+af[1]+af[2]+af[3];
            for(int b=0;b<2;++b){
              uint32_t word=0; long blk_bytes=k_tiles*512; long w_lane=((n_cta/16)*k_tiles+t_begin)*512+16*lane; long base=w_lane+b*blk_bytes; // q0 / q1 = q0 + blk_bytes
              if(ok){long off=base+(long)t*512+4*j; memcpy(&word,&pk[off],4);}
              uint32_t t0=word<<15,t1=word<<7,t2=word>>1,t3=word>>(BUG==2?8:9);
              float r0[4]={win0(t0),win0(t2),win0(t1),win0(t3)}, r1[4]={win1(t0),win1(t2),win1(t1),win1(t3)};
              long kk[4]={ka,ka+1,kc,kc+1};
              for(int i=0;i<4;++i){part[m][2*b]+=r0[i]*af[i]; part[m][2*b+1]+=r1[i]*af[i];
                if(m==0&&ok){ // verify position: r0 weight i is (row g of block b, kk[i]); decoded value
                  for(int h2=0;h2<2;++h2){long n=n_cta+16*b+g+8*h2; int64_t byte;int hi; layout::weight_position(n,kk[i],K,&byte,&hi);
                    double v=h2?r1[i]:r0[i]; double qd=(v-1.0)*(h2?16:256);
                    if(std::fabs(qd-q[n*K+kk[i]])>1e-9){ if(BUG==0){printf("decode mismatch n=%ld k=%ld\n",n,kk[i]);} return 1;}
                    reads[n*K+kk[i]]++;}}}
            }}}}
      flush();
    }}
  for(long i=0;i<N*K;++i) if(reads[i]!=1){ if(!BUG)printf("weight %ld read %d times\n",i,reads[i]); return 1;}
  double maxerr=0,maxref=0;
  for(int m=0;m<MT;++m)for(long n=0;n<N;++n){double ref=0;for(long k=0;k<K;++k){long gi=k/gsz; ref+=((q[n*K+k]-8)*sc[gi*N+n]+zr[gi*N+n])*a[m*K+k];}
    maxerr=std::max(maxerr,std::fabs(ref-out[m*N+n])); maxref=std::max(maxref,std::fabs(ref));}
  if(maxerr>1e-9*maxref+1e-9){ if(!BUG)printf("value mismatch err %g ref %g\n",maxerr,maxref); return 1;}
  return 0;
}

int main(){std::mt19937 rng(1); long shapes[][2]={{64,64},{128,192},{320,1088},{64,4160},{32,64},{96,320},{64,1600}};
 int fails=0,cases=0;
 for(auto&sh:shapes)for(int sk:{1,2,3,5})for(long g:{32L,64L,128L,-1L})for(int W:{8,6,16,12}){long N=sh[0],K=sh[1]; long gs=g<0?K:g; if(K%gs)continue;
   cases++; int r=run(N,K,sk,gs,W,rng); if(r){fails++;printf("FAIL N=%ld K=%ld split=%d g=%ld W=%d\n",N,K,sk,gs,W);}}
 printf("clean: %d cases, %d failures\n",cases,fails);
 for(BUG=1;BUG<=6;++BUG){int caught=0,tot=0; for(auto&sh:shapes)for(int sk:{1,3})for(long g:{32L,128L}){long N=sh[0],K=sh[1]; if(K%g)continue; tot++; caught+=run(N,K,sk,g,8,rng);} printf("bug %d caught in %d/%d cases\n",BUG,caught,tot);}
}
