//! Host-side conversions between 4-bit value matrices, the plain layout users hand in, and the
//! packed layout v1 the GPU kernels read.
//!
//! Plain layout: bytes `[N, K/2]`, row n contiguous along K, byte `(n, j) = q[n][2j] |
//! q[n][2j+1] << 4` (low nibble = even k), q in 0..15.
//!
//! Packed layout v1: same shape and order, each byte XOR 0x88, so each nibble holds `q - 8` as a
//! signed two's-complement int4. The kernels then sign-extend a nibble instead of subtracting 8,
//! which is what lets the dequantization be a couple of bit operations.

use crate::types::WeightDesc;

/// XOR mask turning a plain byte (two unsigned nibbles q) into two signed nibbles (q - 8).
const SIGN_FLIP: u8 = 0x88;

fn check_len(what: &str, got: usize, desc: &WeightDesc) -> Result<(), String> {
    let want = desc.weight_bytes();
    if got != want {
        return Err(format!(
            "{what} has {got} bytes, expected N*K/2 = {}*{}/2 = {want}",
            desc.n, desc.k
        ));
    }
    Ok(())
}

/// Converts the plain layout to packed layout v1, once at model load, on the host, so a machine
/// without a GPU (or a test) can produce exactly the bytes the device packer produces.
pub fn pack_host(desc: &WeightDesc, plain: &[u8], packed: &mut [u8]) -> Result<(), String> {
    check_len("plain", plain.len(), desc)?;
    check_len("packed", packed.len(), desc)?;
    for (p, &b) in packed.iter_mut().zip(plain) {
        *p = b ^ SIGN_FLIP;
    }
    Ok(())
}

/// Inverse of [`pack_host`]: lets tests and tools check a device-packed buffer against the plain
/// weights it came from.
pub fn unpack_host(desc: &WeightDesc, packed: &[u8], plain_out: &mut [u8]) -> Result<(), String> {
    check_len("packed", packed.len(), desc)?;
    check_len("plain_out", plain_out.len(), desc)?;
    for (p, &b) in plain_out.iter_mut().zip(packed) {
        *p = b ^ SIGN_FLIP;
    }
    Ok(())
}

/// Builds plain bytes from one value per byte (`q[n*k + kk]`, 0..15), the natural form for a
/// quantizer or importer to produce. Values above 15 are masked to their low nibble; `k` must be
/// even and `q` must hold at least `n*k` values (only the first `n*k` are read).
///
/// # Panics
/// If `k` is odd or `q.len() < n*k` (programming errors of the caller, not data errors).
pub fn plain_from_q(n: usize, k: usize, q: &[u8]) -> Vec<u8> {
    assert!(k % 2 == 0, "plain_from_q: K={k} must be even");
    assert!(
        q.len() >= n * k,
        "plain_from_q: q has {} values, expected N*K = {}",
        q.len(),
        n * k
    );
    q[..n * k]
        .chunks_exact(2)
        .map(|p| (p[0] & 0xF) | ((p[1] & 0xF) << 4))
        .collect()
}

/// Expands plain bytes to one value per byte (`[N, K]`, 0..15), the form tests and the
/// reference find easiest to index.
///
/// # Panics
/// If `k` is odd or `plain.len() < n*k/2`.
pub fn q_from_plain(n: usize, k: usize, plain: &[u8]) -> Vec<u8> {
    assert!(k % 2 == 0, "q_from_plain: K={k} must be even");
    assert!(
        plain.len() >= n * k / 2,
        "q_from_plain: plain has {} bytes, expected N*K/2 = {}",
        plain.len(),
        n * k / 2
    );
    let mut q = Vec::with_capacity(n * k);
    for &b in &plain[..n * k / 2] {
        q.push(b & 0xF);
        q.push(b >> 4);
    }
    q
}

/// One value of a plain matrix with `k` columns, without expanding the whole matrix: for
/// spot checks and error messages that name the offending element.
///
/// # Panics
/// If `(n_idx, k_idx)` lies outside `plain`.
pub fn q_at(plain: &[u8], k: usize, n_idx: usize, k_idx: usize) -> u8 {
    let b = plain[n_idx * (k / 2) + k_idx / 2];
    if k_idx % 2 == 0 {
        b & 0xF
    } else {
        b >> 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::types::Dtype;

    fn desc(n: usize, k: usize) -> WeightDesc {
        WeightDesc::new(Dtype::F16, n, k, 64, false).unwrap()
    }

    #[test]
    fn known_bytes() {
        // q = 1, 2 -> 0x21; 15, 0 -> 0x0F; 8, 8 -> 0x88.
        let q = [1u8, 2, 15, 0, 8, 8, 0, 15];
        let plain = plain_from_q(2, 4, &q);
        assert_eq!(plain, vec![0x21, 0x0F, 0x88, 0xF0]);
        assert_eq!(q_at(&plain, 4, 0, 0), 1);
        assert_eq!(q_at(&plain, 4, 0, 1), 2);
        assert_eq!(q_at(&plain, 4, 0, 2), 15);
        assert_eq!(q_at(&plain, 4, 1, 3), 15);
        assert_eq!(q_from_plain(2, 4, &plain), q.to_vec());
    }

    #[test]
    fn packed_nibbles_are_signed_q_minus_8() {
        // Plain 0x21 (q = 1, 2) -> packed 0xA9: nibbles 9 = -7 and 10 = -6 as int4.
        let d = desc(64, 64);
        let mut plain = vec![0u8; d.weight_bytes()];
        plain[0] = 0x21;
        plain[1] = 0x88; // q = 8, 8 -> 0, 0
        plain[2] = 0xF0; // q = 0, 15 -> -8, 7
        let mut packed = vec![0u8; d.weight_bytes()];
        pack_host(&d, &plain, &mut packed).unwrap();
        assert_eq!(packed[0], 0xA9);
        assert_eq!(packed[1], 0x00);
        assert_eq!(packed[2], 0x78);
        assert_eq!(packed[3], 0x88);
        let sext = |nib: u8| ((nib << 4) as i8) >> 4;
        for (i, &b) in plain.iter().enumerate().take(3) {
            assert_eq!(sext(packed[i] & 0xF) as i32, (b & 0xF) as i32 - 8);
            assert_eq!(sext(packed[i] >> 4) as i32, (b >> 4) as i32 - 8);
        }
    }

    #[test]
    fn round_trip_random() {
        let mut rng = Rng::new(5);
        let d = desc(128, 256);
        let q: Vec<u8> = (0..d.n * d.k).map(|_| rng.below(16) as u8).collect();
        let plain = plain_from_q(d.n, d.k, &q);
        assert_eq!(plain.len(), d.weight_bytes());
        assert_eq!(q_from_plain(d.n, d.k, &plain), q);
        for _ in 0..100 {
            let (ni, ki) = (
                rng.below(d.n as u64) as usize,
                rng.below(d.k as u64) as usize,
            );
            assert_eq!(q_at(&plain, d.k, ni, ki), q[ni * d.k + ki]);
        }
        let mut packed = vec![0u8; d.weight_bytes()];
        pack_host(&d, &plain, &mut packed).unwrap();
        assert_ne!(packed, plain);
        let mut back = vec![0u8; d.weight_bytes()];
        unpack_host(&d, &packed, &mut back).unwrap();
        assert_eq!(back, plain);
    }

    #[test]
    fn wrong_lengths_are_errors() {
        let d = desc(64, 128);
        let good = vec![0u8; d.weight_bytes()];
        let mut out = vec![0u8; d.weight_bytes()];
        let short = vec![0u8; d.weight_bytes() - 1];
        let e = pack_host(&d, &short, &mut out).unwrap_err();
        assert!(
            e.contains("plain") && e.contains("4095") && e.contains("4096"),
            "{e}"
        );
        let mut long = vec![0u8; d.weight_bytes() + 1];
        let e = pack_host(&d, &good, &mut long).unwrap_err();
        assert!(e.contains("packed") && e.contains("4097"), "{e}");
        assert!(unpack_host(&d, &short, &mut out).is_err());
        assert!(unpack_host(&d, &good, &mut long).is_err());
    }
}
