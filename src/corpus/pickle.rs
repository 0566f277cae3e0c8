//! A small pickle virtual machine: enough of protocols 0–4 to read what Python 2/3 and NumPy write
//! for ProdLDA's files (an object array of per-document token-id arrays; a dict word -> id).
//!
//! Only a whitelist of callables is understood (NumPy's array and dtype reconstruction, NumPy
//! scalars, `_codecs.encode` and `bytes`), so loading never runs anything: an unknown `GLOBAL` used
//! in a `REDUCE` is an error. Errors are plain strings with the byte offset; the caller adds the
//! file name.
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A Python value as far as this reader needs one. Containers are shared (`Rc`) because the memo
/// and the stack refer to the same object, and `APPEND`/`BUILD` mutate it in place.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Rc<[Value]>),
    List(Rc<RefCell<Vec<Value>>>),
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    Global(Rc<str>),
    Array(Rc<RefCell<NdArray>>),
    Dtype(Rc<RefCell<Dtype>>),
}

impl Value {
    /// A short description for error messages (never recursive: values may be cyclic).
    pub(crate) fn kind(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(_) => "a bool".into(),
            Value::Int(_) => "an int".into(),
            Value::Float(_) => "a float".into(),
            Value::Str(_) => "a str".into(),
            Value::Bytes(_) => "bytes".into(),
            Value::Tuple(_) => "a tuple".into(),
            Value::List(_) => "a list".into(),
            Value::Dict(_) => "a dict".into(),
            Value::Global(g) => format!("the global {g}"),
            Value::Array(a) => match &a.borrow().dtype {
                Some(d) => format!("a numpy array of dtype {}", d.name()),
                None => "a numpy array".into(),
            },
            Value::Dtype(_) => "a numpy dtype".into(),
        }
    }

    /// The text of a `str`, or of Python 2 `bytes` holding UTF-8.
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.to_string()),
            Value::Bytes(b) => std::str::from_utf8(b).ok().map(str::to_string),
            _ => None,
        }
    }

    /// An integer (bools count, as in Python).
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }
}

/// A NumPy dtype: kind letter (`i`, `u`, `f`, `b`, `O`, ...), item size in bytes, byte order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dtype {
    pub kind: char,
    pub size: usize,
    pub big_endian: bool,
}

impl Dtype {
    fn parse(descr: &str) -> Result<Dtype, String> {
        let mut chars = descr.chars().peekable();
        let mut big_endian = false;
        if let Some(&c) = chars.peek() {
            if "<>|=!".contains(c) {
                big_endian = c == '>' || c == '!';
                chars.next();
            }
        }
        let kind = chars
            .next()
            .ok_or_else(|| format!("empty dtype descriptor `{descr}`"))?;
        let digits: String = chars.collect();
        let size = if digits.is_empty() {
            match kind {
                'b' | '?' => 1,
                'O' => 8,
                _ => return Err(format!("dtype descriptor `{descr}` has no item size")),
            }
        } else {
            digits
                .parse()
                .map_err(|_| format!("cannot read the dtype descriptor `{descr}`"))?
        };
        Ok(Dtype {
            kind,
            size,
            big_endian,
        })
    }

    fn name(&self) -> String {
        let order = match (self.kind, self.size) {
            ('O', _) | (_, 1) => '|',
            _ if self.big_endian => '>',
            _ => '<',
        };
        format!("{order}{}{}", self.kind, self.size)
    }
}

/// A NumPy array: set up by `_reconstruct`, filled by `BUILD`.
#[derive(Debug, Clone, Default)]
pub(crate) struct NdArray {
    pub shape: Vec<usize>,
    pub dtype: Option<Dtype>,
    /// Object arrays: the elements.
    pub objects: Vec<Value>,
    /// Other arrays: the raw bytes.
    pub raw: Option<Rc<[u8]>>,
}

impl NdArray {
    /// Number of elements the shape calls for (None on overflow).
    pub(crate) fn len(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// The elements of a 1-D numeric array as integers (`None` for an object element that is
    /// Python's `None`). Floats are accepted only when integral.
    pub(crate) fn int_elements(&self) -> Result<Vec<Option<i64>>, String> {
        let dtype = self
            .dtype
            .as_ref()
            .ok_or_else(|| "a numpy array without a dtype (no BUILD state)".to_string())?;
        let n = self
            .len()
            .ok_or_else(|| format!("array shape {:?} is too large", self.shape))?;
        if dtype.kind == 'O' {
            if self.objects.len() != n {
                return Err(format!(
                    "object array of shape {:?} holds {} elements",
                    self.shape,
                    self.objects.len()
                ));
            }
            return self
                .objects
                .iter()
                .map(|v| match v {
                    Value::None => Ok(None),
                    Value::Float(f) => float_to_int(*f).map(Some),
                    v => v
                        .as_int()
                        .map(Some)
                        .ok_or_else(|| format!("expected an integer or None, found {}", v.kind())),
                })
                .collect();
        }
        let raw = self.raw.as_deref().unwrap_or(&[]);
        if n.checked_mul(dtype.size) != Some(raw.len()) {
            return Err(format!(
                "array of shape {:?} and dtype {} needs {} bytes of data but holds {}",
                self.shape,
                dtype.name(),
                n.saturating_mul(dtype.size),
                raw.len()
            ));
        }
        raw.chunks_exact(dtype.size.max(1))
            .map(|c| decode_number(dtype, c).map(Some))
            .collect()
    }
}

fn float_to_int(f: f64) -> Result<i64, String> {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Ok(f as i64)
    } else {
        Err(format!("expected an integer, found the float {f}"))
    }
}

/// One element of a numeric array, as an integer.
fn decode_number(dtype: &Dtype, c: &[u8]) -> Result<i64, String> {
    let mut b = [0u8; 8];
    let le = |b: &mut [u8; 8]| {
        if dtype.big_endian {
            b[..c.len()].copy_from_slice(c);
            b[..c.len()].reverse();
        } else {
            b[..c.len()].copy_from_slice(c);
        }
    };
    match (dtype.kind, c.len()) {
        ('i', 1 | 2 | 4 | 8) => {
            le(&mut b);
            // Sign-extend from the element's width.
            let shift = 64 - 8 * c.len() as u32;
            Ok((i64::from_le_bytes(b) << shift) >> shift)
        }
        ('u' | 'b' | '?', 1 | 2 | 4 | 8) => {
            le(&mut b);
            let v = u64::from_le_bytes(b);
            i64::try_from(v).map_err(|_| format!("unsigned value {v} is too large"))
        }
        ('f', 4) => {
            le(&mut b);
            float_to_int(f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
        }
        ('f', 8) => {
            le(&mut b);
            float_to_int(f64::from_le_bytes(b))
        }
        _ => Err(format!(
            "numpy dtype {} is not an integer type",
            dtype.name()
        )),
    }
}

/// Runs the pickle in `data` and returns the value `STOP` leaves.
pub(crate) fn load(data: &[u8]) -> Result<Value, String> {
    Machine {
        data,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    }
    .run()
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
}

impl<'a> Machine<'a> {
    fn run(mut self) -> Result<Value, String> {
        loop {
            let at = self.pos;
            let op = self.byte()?;
            self.step(op).map_err(|e| {
                if e.starts_with("at byte") {
                    e
                } else {
                    format!("at byte {at} (opcode 0x{op:02x}): {e}")
                }
            })?;
            if op == b'.' {
                return self
                    .stack
                    .pop()
                    .ok_or_else(|| format!("at byte {at}: STOP with an empty stack"));
            }
        }
    }

    fn truncated(&self) -> String {
        format!(
            "at byte {}: the pickle ends early (truncated file?)",
            self.data.len()
        )
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.truncated())?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| self.truncated())?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length-prefixed payload; the length is checked against what is left before any allocation.
    fn sized(&mut self, n: u64) -> Result<&'a [u8], String> {
        let n = usize::try_from(n).map_err(|_| self.truncated())?;
        self.take(n)
    }

    /// A newline-terminated argument of the text opcodes (protocol 0).
    fn line(&mut self) -> Result<&'a [u8], String> {
        let rest = &self.data[self.pos..];
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| self.truncated())?;
        self.pos += nl + 1;
        let l = &rest[..nl];
        Ok(l.strip_suffix(b"\r").unwrap_or(l))
    }

    fn line_str(&mut self) -> Result<&'a str, String> {
        let l = self.line()?;
        std::str::from_utf8(l).map_err(|_| "a text argument is not ASCII".to_string())
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn pop(&mut self) -> Result<Value, String> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err("stack underflow".into());
        }
        Ok(self.stack.pop().expect("length checked above"))
    }

    fn top(&self) -> Result<&Value, String> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err("stack underflow".into());
        }
        Ok(self.stack.last().expect("length checked above"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, String> {
        let m = self.marks.pop().ok_or("no MARK on the stack")?;
        Ok(self.stack.split_off(m))
    }

    fn put(&mut self, idx: u64) -> Result<(), String> {
        let v = self.top()?.clone();
        self.memo.insert(idx, v);
        Ok(())
    }

    fn get(&mut self, idx: u64) -> Result<(), String> {
        let v = self
            .memo
            .get(&idx)
            .cloned()
            .ok_or_else(|| format!("memo entry {idx} was never stored"))?;
        self.push(v);
        Ok(())
    }

    fn step(&mut self, op: u8) -> Result<(), String> {
        match op {
            0x80 => {
                let p = self.byte()?;
                if p > 5 {
                    return Err(format!("unsupported pickle protocol {p}"));
                }
            }
            // FRAME (protocol 4): the length is only a read-ahead hint.
            0x95 => {
                self.u64()?;
            }
            b'.' => {}
            b'(' => self.marks.push(self.stack.len()),
            b'0' => {
                self.pop()?;
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => {
                let v = self.top()?.clone();
                self.push(v);
            }
            b'N' => self.push(Value::None),
            0x88 => self.push(Value::Bool(true)),
            0x89 => self.push(Value::Bool(false)),
            b'I' => {
                let l = self.line_str()?;
                let v = match l {
                    "01" => Value::Bool(true),
                    "00" => Value::Bool(false),
                    _ => Value::Int(parse_int(l)?),
                };
                self.push(v);
            }
            b'L' => {
                let l = self.line_str()?;
                let v = parse_int(l.strip_suffix('L').unwrap_or(l))?;
                self.push(Value::Int(v));
            }
            b'J' => {
                let v = self.u32()? as i32;
                self.push(Value::Int(v as i64));
            }
            b'K' => {
                let v = self.byte()?;
                self.push(Value::Int(v as i64));
            }
            b'M' => {
                let v = self.u16()?;
                self.push(Value::Int(v as i64));
            }
            0x8a => {
                let n = self.byte()? as u64;
                let b = self.sized(n)?;
                self.push(Value::Int(long_from_bytes(b)?));
            }
            0x8b => {
                let n = self.u32()? as u64;
                let b = self.sized(n)?;
                self.push(Value::Int(long_from_bytes(b)?));
            }
            b'F' => {
                let l = self.line_str()?;
                let f = l
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("cannot read the float `{l}`"))?;
                self.push(Value::Float(f));
            }
            b'G' => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                self.push(Value::Float(f64::from_be_bytes(a)));
            }
            b'S' => {
                let l = self.line()?;
                let b = unquote(l)?;
                self.push(Value::Bytes(b.into()));
            }
            b'T' => {
                let n = self.u32()? as i32;
                if n < 0 {
                    return Err(format!("negative string length {n}"));
                }
                let b = self.sized(n as u64)?;
                self.push(Value::Bytes(b.into()));
            }
            b'U' | b'C' => {
                let n = self.byte()? as u64;
                let b = self.sized(n)?;
                self.push(Value::Bytes(b.into()));
            }
            b'B' => {
                let n = self.u32()? as u64;
                let b = self.sized(n)?;
                self.push(Value::Bytes(b.into()));
            }
            0x8e | 0x96 => {
                let n = self.u64()?;
                let b = self.sized(n)?;
                self.push(Value::Bytes(b.into()));
            }
            b'V' => {
                let l = self.line()?;
                let s = raw_unicode_escape(l)?;
                self.push(Value::Str(s.into()));
            }
            b'X' => {
                let n = self.u32()? as u64;
                let s = self.utf8(n)?;
                self.push(Value::Str(s.into()));
            }
            0x8c => {
                let n = self.byte()? as u64;
                let s = self.utf8(n)?;
                self.push(Value::Str(s.into()));
            }
            0x8d => {
                let n = self.u64()?;
                let s = self.utf8(n)?;
                self.push(Value::Str(s.into()));
            }
            b')' => self.push(Value::Tuple(Rc::from(Vec::new()))),
            b't' => {
                let items = self.pop_mark()?;
                self.push(Value::Tuple(items.into()));
            }
            0x85..=0x87 => {
                let n = (op - 0x84) as usize;
                let floor = self.marks.last().copied().unwrap_or(0);
                if self.stack.len() < floor + n {
                    return Err("stack underflow".into());
                }
                let items = self.stack.split_off(self.stack.len() - n);
                self.push(Value::Tuple(items.into()));
            }
            b']' => self.push(Value::List(Rc::new(RefCell::new(Vec::new())))),
            b'l' => {
                let items = self.pop_mark()?;
                self.push(Value::List(Rc::new(RefCell::new(items))));
            }
            b'a' => {
                let v = self.pop()?;
                self.append(vec![v])?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                self.append(items)?;
            }
            b'}' => self.push(Value::Dict(Rc::new(RefCell::new(Vec::new())))),
            b'd' => {
                let items = self.pop_mark()?;
                let pairs = pairs(items)?;
                self.push(Value::Dict(Rc::new(RefCell::new(pairs))));
            }
            b's' => {
                let v = self.pop()?;
                let k = self.pop()?;
                self.set_items(vec![(k, v)])?;
            }
            b'u' => {
                let items = self.pop_mark()?;
                let p = pairs(items)?;
                self.set_items(p)?;
            }
            b'c' => {
                let module = self.line_str()?.to_string();
                let name = self.line_str()?;
                self.push(Value::Global(format!("{module}.{name}").into()));
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                match (module.as_text(), name.as_text()) {
                    (Some(m), Some(n)) => self.push(Value::Global(format!("{m}.{n}").into())),
                    _ => return Err("STACK_GLOBAL needs two strings".into()),
                }
            }
            b'R' => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let v = reduce(&callable, &args)?;
                self.push(v);
            }
            b'b' => {
                let state = self.pop()?;
                let obj = self.top()?.clone();
                build(&obj, &state)?;
            }
            b'p' => {
                let idx = parse_int(self.line_str()?)?;
                self.put(idx as u64)?;
            }
            b'q' => {
                let idx = self.byte()? as u64;
                self.put(idx)?;
            }
            b'r' => {
                let idx = self.u32()? as u64;
                self.put(idx)?;
            }
            0x94 => {
                let idx = self.memo.len() as u64;
                self.put(idx)?;
            }
            b'g' => {
                let idx = parse_int(self.line_str()?)?;
                self.get(idx as u64)?;
            }
            b'h' => {
                let idx = self.byte()? as u64;
                self.get(idx)?;
            }
            b'j' => {
                let idx = self.u32()? as u64;
                self.get(idx)?;
            }
            other => {
                return Err(format!(
                    "unsupported or invalid pickle opcode 0x{other:02x} (corrupt file?)"
                ))
            }
        }
        Ok(())
    }

    fn utf8(&mut self, n: u64) -> Result<String, String> {
        let b = self.sized(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "a unicode string is not valid UTF-8".into())
    }

    fn append(&mut self, items: Vec<Value>) -> Result<(), String> {
        match self.top()? {
            Value::List(l) => {
                l.borrow_mut().extend(items);
                Ok(())
            }
            other => Err(format!("APPEND to {}, not a list", other.kind())),
        }
    }

    fn set_items(&mut self, items: Vec<(Value, Value)>) -> Result<(), String> {
        match self.top()? {
            Value::Dict(d) => {
                d.borrow_mut().extend(items);
                Ok(())
            }
            other => Err(format!("SETITEM on {}, not a dict", other.kind())),
        }
    }
}

fn pairs(items: Vec<Value>) -> Result<Vec<(Value, Value)>, String> {
    if items.len() % 2 != 0 {
        return Err("a dict needs an even number of items".into());
    }
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

fn parse_int(s: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| format!("cannot read the integer `{s}`"))
}

/// A little-endian two's-complement integer (LONG1/LONG4), which must fit in 64 bits.
fn long_from_bytes(b: &[u8]) -> Result<i64, String> {
    if b.is_empty() {
        return Ok(0);
    }
    let negative = b[b.len() - 1] & 0x80 != 0;
    let fill = if negative { 0xff } else { 0 };
    if b.len() > 8 && b[8..].iter().any(|&x| x != fill) {
        return Err("an integer does not fit in 64 bits".into());
    }
    let mut a = [fill; 8];
    let n = b.len().min(8);
    a[..n].copy_from_slice(&b[..n]);
    let v = i64::from_le_bytes(a);
    if (v < 0) != negative {
        return Err("an integer does not fit in 64 bits".into());
    }
    Ok(v)
}

/// The argument of protocol 0's `STRING`: a Python 2 `repr` of a byte string.
fn unquote(l: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || format!("bad STRING argument `{}`", String::from_utf8_lossy(l));
    if l.len() < 2 || l[0] != l[l.len() - 1] || !(l[0] == b'\'' || l[0] == b'"') {
        return Err(bad());
    }
    let s = &l[1..l.len() - 1];
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = *s.get(i + 1).ok_or_else(bad)?;
        i += 2;
        match c {
            b'\\' | b'\'' | b'"' => out.push(c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'\n' => {}
            b'x' => {
                let h = s.get(i..i + 2).ok_or_else(bad)?;
                let h = std::str::from_utf8(h).map_err(|_| bad())?;
                out.push(u8::from_str_radix(h, 16).map_err(|_| bad())?);
                i += 2;
            }
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < s.len() && (b'0'..=b'7').contains(&s[i]) {
                    v = v * 8 + (s[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push((v & 0xff) as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// The argument of protocol 0's `UNICODE`: Latin-1 text with `\uXXXX` / `\UXXXXXXXX` escapes.
fn raw_unicode_escape(l: &[u8]) -> Result<String, String> {
    let mut out = String::with_capacity(l.len());
    let mut i = 0;
    while i < l.len() {
        if l[i] == b'\\' && i + 1 < l.len() && (l[i + 1] == b'u' || l[i + 1] == b'U') {
            let n = if l[i + 1] == b'u' { 4 } else { 8 };
            let h = l.get(i + 2..i + 2 + n).ok_or("bad \\u escape in UNICODE")?;
            let h = std::str::from_utf8(h).map_err(|_| "bad \\u escape in UNICODE")?;
            let cp = u32::from_str_radix(h, 16).map_err(|_| "bad \\u escape in UNICODE")?;
            out.push(char::from_u32(cp).ok_or("bad code point in UNICODE")?);
            i += 2 + n;
        } else {
            out.push(l[i] as char);
            i += 1;
        }
    }
    Ok(out)
}

fn tuple_items<'v>(v: &'v Value, what: &str) -> Result<&'v [Value], String> {
    match v {
        Value::Tuple(t) => Ok(t),
        other => Err(format!("{what}: expected a tuple, found {}", other.kind())),
    }
}

/// `REDUCE`: the few callables NumPy and Python use to pickle the values we read.
fn reduce(callable: &Value, args: &Value) -> Result<Value, String> {
    let name = match callable {
        Value::Global(g) => g.to_string(),
        other => return Err(format!("REDUCE on {}, not a global", other.kind())),
    };
    let args = tuple_items(args, &name)?;
    match name.as_str() {
        "numpy.core.multiarray._reconstruct" | "numpy._core.multiarray._reconstruct" => {
            // _reconstruct(ndarray, shape, b'b'): an empty array that BUILD fills.
            Ok(Value::Array(Rc::new(RefCell::new(NdArray::default()))))
        }
        "numpy.dtype" => {
            let descr = args
                .first()
                .and_then(Value::as_text)
                .ok_or("numpy.dtype needs a descriptor string")?;
            Ok(Value::Dtype(Rc::new(RefCell::new(Dtype::parse(&descr)?))))
        }
        "numpy.core.multiarray.scalar" | "numpy._core.multiarray.scalar" => {
            let dtype = match args.first() {
                Some(Value::Dtype(d)) => d.borrow().clone(),
                _ => return Err("numpy scalar without a dtype".into()),
            };
            let raw = match args.get(1) {
                Some(Value::Bytes(b)) => b.clone(),
                Some(Value::Str(s)) => latin1(s)?.into(),
                _ => return Err("numpy scalar without data".into()),
            };
            if raw.len() != dtype.size {
                return Err(format!(
                    "numpy scalar of dtype {} with {} bytes",
                    dtype.name(),
                    raw.len()
                ));
            }
            Ok(Value::Int(decode_number(&dtype, &raw)?))
        }
        // Python 3 pickles `bytes` for protocol 2 as _codecs.encode(text, 'latin1').
        "_codecs.encode" => match (args.first(), args.get(1).and_then(Value::as_text)) {
            (Some(Value::Str(s)), Some(enc)) if enc == "latin1" || enc == "latin-1" => {
                Ok(Value::Bytes(latin1(s)?.into()))
            }
            _ => Err("unsupported _codecs.encode arguments".into()),
        },
        "__builtin__.bytes" | "builtins.bytes" => match args.first() {
            None => Ok(Value::Bytes(Rc::from(Vec::new()))),
            Some(Value::Bytes(b)) => Ok(Value::Bytes(b.clone())),
            _ => Err("unsupported bytes() arguments".into()),
        },
        other => Err(format!(
            "the pickle calls `{other}`, which this reader does not support"
        )),
    }
}

fn latin1(s: &str) -> Result<Vec<u8>, String> {
    s.chars()
        .map(|c| {
            u8::try_from(c as u32).map_err(|_| "a latin1 string holds a wide character".into())
        })
        .collect()
}

/// `BUILD`: sets the state of an array or a dtype.
fn build(obj: &Value, state: &Value) -> Result<(), String> {
    match obj {
        Value::Array(a) => {
            let st = tuple_items(state, "numpy array state")?;
            // (version, shape, dtype, is_fortran, data); very old pickles omit the version.
            let st = if st.len() == 5 { &st[1..] } else { st };
            if st.len() != 4 {
                return Err(format!(
                    "numpy array state has {} fields, expected 4 or 5",
                    st.len()
                ));
            }
            let shape = tuple_items(&st[0], "numpy array shape")?
                .iter()
                .map(|d| {
                    d.as_int()
                        .and_then(|d| usize::try_from(d).ok())
                        .ok_or("a numpy array dimension is not a non-negative integer")
                })
                .collect::<Result<Vec<usize>, _>>()?;
            let dtype = match &st[1] {
                Value::Dtype(d) => d.borrow().clone(),
                other => return Err(format!("numpy array dtype is {}", other.kind())),
            };
            let mut arr = a.borrow_mut();
            arr.shape = shape;
            match &st[3] {
                Value::List(l) if dtype.kind == 'O' => arr.objects = l.borrow().clone(),
                Value::Bytes(b) if dtype.kind == 'O' && b.is_empty() => arr.objects.clear(),
                Value::Str(s) if dtype.kind == 'O' && s.is_empty() => arr.objects.clear(),
                Value::Bytes(b) if dtype.kind != 'O' => arr.raw = Some(b.clone()),
                Value::Str(s) if dtype.kind != 'O' => arr.raw = Some(latin1(s)?.into()),
                other => {
                    return Err(format!(
                        "numpy array of dtype {} with {} as data",
                        dtype.name(),
                        other.kind()
                    ))
                }
            }
            arr.dtype = Some(dtype);
            Ok(())
        }
        Value::Dtype(d) => {
            // (version, byte order, subarray, names, fields, elsize, alignment, flags[, metadata])
            if let Value::Tuple(t) = state {
                if let Some(order) = t.get(1).and_then(Value::as_text) {
                    d.borrow_mut().big_endian = order == ">" || order == "!";
                }
            }
            Ok(())
        }
        other => Err(format!(
            "BUILD on {}, which this reader does not support",
            other.kind()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol0_dict() {
        let v = load(b"(dp1\nS'limited'\np2\nI1481\nsS'it\\'s'\np3\nI2\ns.").unwrap();
        let Value::Dict(d) = v else { panic!() };
        let d = d.borrow();
        assert_eq!(d[0].0.as_text().unwrap(), "limited");
        assert_eq!(d[0].1.as_int(), Some(1481));
        assert_eq!(d[1].0.as_text().unwrap(), "it's");
    }

    #[test]
    fn truncated_and_garbage() {
        assert!(load(b"(dp1\nS'lim").unwrap_err().contains("ends early"));
        assert!(load(b"\xff").unwrap_err().contains("opcode 0xff"));
        assert!(load(b"a.").unwrap_err().contains("underflow"));
        assert!(load(b"\x80\x02cos\nsystem\nK\x00\x85R.")
            .unwrap_err()
            .contains("does not support"));
    }

    #[test]
    fn long1_and_negative_ints() {
        assert_eq!(load(b"\x8a\x02\xff\x7f.").unwrap().as_int(), Some(0x7fff));
        assert_eq!(load(b"\x8a\x01\xff.").unwrap().as_int(), Some(-1));
        assert_eq!(load(b"J\xff\xff\xff\xff.").unwrap().as_int(), Some(-1));
        assert!(load(b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.").is_err());
    }

    #[test]
    fn decode_big_endian() {
        let d = Dtype::parse("i4").unwrap();
        let be = Dtype {
            big_endian: true,
            ..d.clone()
        };
        assert_eq!(decode_number(&d, &[0xfe, 0xff, 0xff, 0xff]).unwrap(), -2);
        assert_eq!(decode_number(&be, &[0, 0, 1, 0]).unwrap(), 256);
    }
}
