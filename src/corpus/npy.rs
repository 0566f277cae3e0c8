//! The `.npy` header, and a pre-flight check of `.npz` archives.
//!
//! ndarray-npy allocates an array as large as its `.npy` header says before reading the data, so a
//! damaged header could ask for gigabytes. [`npz_preflight`] reads the zip directory and each
//! header first and refuses an array that cannot fit in its archive entry.
use flate2::read::DeflateDecoder;
use std::io::Read;

/// Splits an `.npy` file into its header dictionary text and its data.
pub(crate) fn npy_header(bytes: &[u8]) -> Result<(&str, &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a NumPy .npy file (bad magic bytes)".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("the .npy header is truncated".into());
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or("the .npy header is truncated")?;
    let header =
        std::str::from_utf8(&bytes[start..end]).map_err(|_| "the .npy header is not text")?;
    Ok((header, &bytes[end..]))
}

/// The string value of `key` in an `.npy` header dictionary (`{'descr': '|O', ...}`).
pub(crate) fn header_field(header: &str, key: &str) -> Option<String> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let q = rest.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(q)?].to_string())
}

/// The shape tuple of an `.npy` header (`'shape': (3, 4)`).
fn header_shape(header: &str) -> Option<Vec<usize>> {
    let at = header.find("'shape'")? + "'shape'".len();
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('(')?;
    let inner = &rest[..rest.find(')')?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

/// Bytes per element of a descriptor such as `<i8`, `|S3`, `|b1`.
fn item_size(descr: &str) -> Option<usize> {
    let digits: String = descr.chars().filter(|c| c.is_ascii_digit()).collect();
    match digits.parse() {
        Ok(n) => Some(n),
        Err(_) if descr.ends_with('O') => Some(8),
        Err(_) => None,
    }
}

/// One entry of a zip central directory.
struct Entry {
    name: String,
    method: u16,
    compressed: u64,
    size: u64,
    offset: u64,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// The central directory, or `None` when it cannot be read (the zip reader then reports why).
fn central_directory(zip: &[u8]) -> Option<Vec<Entry>> {
    let lo = zip.len().saturating_sub(22 + 65535);
    let eocd = (lo..=zip.len().checked_sub(22)?)
        .rev()
        .find(|&i| zip[i..].starts_with(b"PK\x05\x06"))?;
    let count = u16_at(zip, eocd + 10)? as usize;
    let mut p = u32_at(zip, eocd + 16)? as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        if u32_at(zip, p)? != 0x0201_4b50 {
            return None;
        }
        let method = u16_at(zip, p + 10)?;
        let mut compressed = u32_at(zip, p + 20)? as u64;
        let mut size = u32_at(zip, p + 24)? as u64;
        let name_len = u16_at(zip, p + 28)? as usize;
        let extra_len = u16_at(zip, p + 30)? as usize;
        let comment_len = u16_at(zip, p + 32)? as usize;
        let mut offset = u32_at(zip, p + 42)? as u64;
        let name = String::from_utf8_lossy(zip.get(p + 46..p + 46 + name_len)?).to_string();
        // Zip64: the fields saturated at 0xFFFFFFFF follow, in this order, in extra block 0x0001.
        let extra = zip.get(p + 46 + name_len..p + 46 + name_len + extra_len)?;
        let mut e = 0;
        while e + 4 <= extra.len() {
            let (id, len) = (u16_at(extra, e)?, u16_at(extra, e + 2)? as usize);
            if id == 1 {
                let mut f = e + 4;
                for field in [&mut size, &mut compressed, &mut offset] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(extra, f)?;
                        f += 8;
                    }
                }
            }
            e += 4 + len;
        }
        entries.push(Entry {
            name,
            method,
            compressed,
            size,
            offset,
        });
        p += 46 + name_len + extra_len + comment_len;
    }
    Some(entries)
}

/// Checks, before ndarray-npy reads them, that the arrays `names` of the `.npz` bytes `zip` claim
/// no more data than their entries hold. Returns the text of a `format` entry (scipy writes
/// `b"csr"`), when there is one. Structures it cannot follow are left to the zip reader.
pub(crate) fn npz_preflight(zip: &[u8], names: &[&str]) -> Result<Option<String>, String> {
    let Some(entries) = central_directory(zip) else {
        return Ok(None);
    };
    let mut format = None;
    for e in &entries {
        let stem = e.name.strip_suffix(".npy").unwrap_or(&e.name);
        let is_format = stem == "format";
        if !is_format && !names.contains(&stem) {
            continue;
        }
        // Deflate cannot expand more than about 1032:1.
        let max_size = match e.method {
            0 => e.compressed,
            _ => e.compressed.saturating_mul(1100).saturating_add(1024),
        };
        if e.size > max_size {
            return Err(format!(
                "the entry `{}` claims {} bytes from {} compressed bytes (corrupt archive?)",
                e.name, e.size, e.compressed
            ));
        }
        let Some(head) = entry_head(zip, e) else {
            continue;
        };
        let Ok((header, data)) = npy_header(&head) else {
            continue;
        };
        let header_len = (head.len() - data.len()) as u64;
        let (Some(descr), Some(shape)) = (header_field(header, "descr"), header_shape(header))
        else {
            continue;
        };
        let Some(item) = item_size(&descr) else {
            continue;
        };
        let claimed = shape
            .iter()
            .try_fold(item as u64, |acc, &d| acc.checked_mul(d as u64));
        if claimed.is_none_or(|c| c.saturating_add(header_len) > e.size) {
            return Err(format!(
                "the array `{stem}` claims shape {shape:?} of {item}-byte elements but its entry \
                 holds only {} bytes (truncated or corrupt?)",
                e.size.saturating_sub(header_len)
            ));
        }
        if is_format && descr.contains('S') && shape.is_empty() {
            let raw = data.get(..item).unwrap_or(data);
            format = Some(
                String::from_utf8_lossy(raw)
                    .trim_end_matches('\0')
                    .to_string(),
            );
        }
    }
    Ok(format)
}

/// The first bytes (up to 64 KiB) of an entry's uncompressed data, or `None` if unreadable.
fn entry_head(zip: &[u8], e: &Entry) -> Option<Vec<u8>> {
    let lo = usize::try_from(e.offset).ok()?;
    if u32_at(zip, lo)? != 0x0403_4b50 {
        return None;
    }
    let start = lo + 30 + u16_at(zip, lo + 26)? as usize + u16_at(zip, lo + 28)? as usize;
    let end = start.checked_add(usize::try_from(e.compressed).ok()?)?;
    let raw = zip.get(start..end)?;
    let mut head = Vec::new();
    match e.method {
        0 => head.extend_from_slice(&raw[..raw.len().min(1 << 16)]),
        8 => {
            DeflateDecoder::new(raw)
                .take(1 << 16)
                .read_to_end(&mut head)
                .ok()?;
        }
        _ => return None,
    }
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parts() {
        let h = "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 4), }";
        assert_eq!(header_field(h, "descr").as_deref(), Some("<i8"));
        assert_eq!(header_shape(h), Some(vec![3, 4]));
        assert_eq!(header_shape("{'shape': (7,), }"), Some(vec![7]));
        assert_eq!(header_shape("{'shape': (), }"), Some(vec![]));
        assert_eq!(item_size("|S3"), Some(3));
        assert_eq!(item_size("|O"), Some(8));
    }
}
