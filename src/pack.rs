//! Host-side conversions between 4-bit value matrices, the plain layout users hand in, and the
//! packed layout v2 the GPU kernels read (docs/LAYOUT.md, kernels/common/layout.cuh).
//!
//! Plain layout: bytes `[N, K/2]`, row n contiguous along K, byte `(n, j) = q[n][2j] |
//! q[n][2j+1] << 4` (low nibble = even k), q in 0..15.
//!
//! Packed layout v2: tiles of 16 rows × 64 k (512 bytes), the K/64 tiles of a 16-row block one
//! after the other; inside a tile 32 slots of 16 bytes, slot `4g + c` holding rows g and g+8 at
//! k = 16j + {2c, 2c+1, 2c+8, 2c+9} (j = 0..3, one 32-bit word each) in the order of the tensor
//! cores' register fragments. Each nibble holds `q - 8` as a signed two's-complement int4 (q ^ 8),
//! so the kernels sign-extend instead of subtracting 8.

use crate::types::WeightDesc;

/// Version of the packed layout written here and read by the kernels (W4A16_PACKED_LAYOUT_VERSION).
pub const PACKED_LAYOUT_VERSION: u32 = 2;

/// XOR mask turning a plain byte (two unsigned nibbles q) into two signed nibbles (q - 8).
const SIGN_FLIP: u8 = 0x88;
/// Rows and k of one packed tile, and its bytes.
const TILE_ROWS: usize = 16;
const TILE_K: usize = 64;
const TILE_BYTES: usize = TILE_ROWS * TILE_K / 2;

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

/// Byte offset and nibble (false = low) of weight (n, kk) of an [N, K] matrix in packed layout
/// v2 — the mapping of `layout::weight_position` in kernels/common/layout.cuh.
pub fn packed_position(k: usize, n: usize, kk: usize) -> (usize, bool) {
    let (nb, kb) = (n / TILE_ROWS, kk / TILE_K);
    let (r, i) = (n % TILE_ROWS, kk % TILE_K);
    let (g, h) = (r % 8, r / 8);
    let (j, c, e, odd) = (i / 16, (i % 8) / 2, (i % 16) / 8, i % 2);
    let nibble = 4 * odd + h + 2 * e;
    let elem = 2 * TILE_BYTES * (nb * (k / TILE_K) + kb) + 32 * (4 * g + c) + 8 * j + nibble;
    (elem / 2, elem % 2 == 1)
}

/// The nibble (q ^ 8) that packed layout v2 stores for weight (n, kk) of an [N, K] matrix: for
/// tests and tools that check packed bytes weight by weight.
pub fn packed_nibble(packed: &[u8], k: usize, n: usize, kk: usize) -> u8 {
    let (byte, high) = packed_position(k, n, kk);
    if high {
        packed[byte] >> 4
    } else {
        packed[byte] & 0xF
    }
}

/// Plain byte offsets of the four bytes one packed word is made of: rows g and g+8 of the tile,
/// at k = ka (bytes 0, 1) and ka + 8 (bytes 2, 3), ka = 64kb + 16j + 2c.
fn word_sources(k: usize, nb: usize, kb: usize, s: usize, j: usize) -> [usize; 4] {
    let (g, c) = (s / 4, s % 4);
    let row = |r: usize| (TILE_ROWS * nb + r) * (k / 2);
    let col = (TILE_K * kb + 16 * j + 2 * c) / 2;
    [row(g) + col, row(g + 8) + col, row(g) + col + 4, row(g + 8) + col + 4]
}

/// Converts the plain layout to packed layout v2, once at model load, on the host, so a machine
/// without a GPU (or a test) can produce exactly the bytes the device packer produces.
pub fn pack_host(desc: &WeightDesc, plain: &[u8], packed: &mut [u8]) -> Result<(), String> {
    check_len("plain", plain.len(), desc)?;
    check_len("packed", packed.len(), desc)?;
    let k = desc.k;
    for (t, tile) in packed.chunks_exact_mut(TILE_BYTES).enumerate() {
        let (nb, kb) = (t / (k / TILE_K), t % (k / TILE_K));
        for (w, word) in tile.chunks_exact_mut(4).enumerate() {
            let [b0, b1, b2, b3] = word_sources(k, nb, kb, w / 4, w % 4).map(|i| plain[i]);
            // Nibbles 0..3 = low nibbles (even k) of rows g, g+8 at ka, ka+8; 4..7 = high.
            word[0] = ((b0 & 0xF) | (b1 << 4)) ^ SIGN_FLIP;
            word[1] = ((b2 & 0xF) | (b3 << 4)) ^ SIGN_FLIP;
            word[2] = ((b0 >> 4) | (b1 & 0xF0)) ^ SIGN_FLIP;
            word[3] = ((b2 >> 4) | (b3 & 0xF0)) ^ SIGN_FLIP;
        }
    }
    Ok(())
}

/// Inverse of [`pack_host`]: lets tests and tools check a device-packed buffer against the plain
/// weights it came from.
pub fn unpack_host(desc: &WeightDesc, packed: &[u8], plain_out: &mut [u8]) -> Result<(), String> {
    check_len("packed", packed.len(), desc)?;
    check_len("plain_out", plain_out.len(), desc)?;
    let k = desc.k;
    for (t, tile) in packed.chunks_exact(TILE_BYTES).enumerate() {
        let (nb, kb) = (t / (k / TILE_K), t % (k / TILE_K));
        for (w, word) in tile.chunks_exact(4).enumerate() {
            let [x0, x1, x2, x3] = [word[0], word[1], word[2], word[3]].map(|b| b ^ SIGN_FLIP);
            let [i0, i1, i2, i3] = word_sources(k, nb, kb, w / 4, w % 4);
            plain_out[i0] = (x0 & 0xF) | (x2 << 4);
            plain_out[i1] = (x0 >> 4) | (x2 & 0xF0);
            plain_out[i2] = (x1 & 0xF) | (x3 << 4);
            plain_out[i3] = (x1 >> 4) | (x3 & 0xF0);
        }
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
    fn packed_nibbles_are_signed_q_minus_8_at_their_v2_positions() {
        // Every weight of a few shapes: the nibble at packed_position holds q ^ 8 (= q - 8).
        let mut rng = Rng::new(3);
        for (n, k) in [(64, 64), (64, 192), (128, 128)] {
            let d = desc(n, k);
            let q: Vec<u8> = (0..n * k).map(|_| rng.below(16) as u8).collect();
            let plain = plain_from_q(n, k, &q);
            let mut packed = vec![0u8; d.weight_bytes()];
            pack_host(&d, &plain, &mut packed).unwrap();
            let mut seen = vec![0u8; d.weight_bytes()];
            for ni in 0..n {
                for ki in 0..k {
                    let (byte, high) = packed_position(k, ni, ki);
                    let nib = if high { packed[byte] >> 4 } else { packed[byte] & 0xF };
                    assert_eq!(nib, q[ni * k + ki] ^ 8, "N={n} K={k} n={ni} k={ki}");
                    seen[byte] += if high { 16 } else { 1 };
                }
            }
            assert!(seen.iter().all(|&s| s == 17), "every nibble written exactly once");
        }
    }

    #[test]
    fn first_slot_by_hand() {
        // Slot 0 of tile (0, 0): rows 0 and 8, word 0 = k 0,1 (nibbles 0,4 row 0; 1,5 row 8) and
        // k 8,9 (nibbles 2,6 row 0; 3,7 row 8).
        let d = desc(64, 64);
        let mut q = vec![8u8; 64 * 64];
        q[0] = 1; // (0, 0)
        q[1] = 2; // (0, 1)
        q[8 * 64] = 3; // (8, 0)
        q[8 * 64 + 9] = 4; // (8, 9)
        q[8] = 15; // (0, 8)
        let plain = plain_from_q(64, 64, &q);
        let mut packed = vec![0u8; d.weight_bytes()];
        pack_host(&d, &plain, &mut packed).unwrap();
        // nibbles (q ^ 8): n0 = 1^8 = 9, n1 = 3^8 = 11, n2 = 15^8 = 7, n3 = 0, n4 = 2^8 = 10,
        // n5 = 0, n6 = 0, n7 = 4^8 = 12.
        assert_eq!(&packed[..4], &[0xB9, 0x07, 0x0A, 0xC0]);
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
        for _ in 0..100 {
            let (ni, ki) = (rng.below(d.n as u64) as usize, rng.below(d.k as u64) as usize);
            assert_eq!(packed_nibble(&packed, d.k, ni, ki), q[ni * d.k + ki] ^ 8);
        }
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
