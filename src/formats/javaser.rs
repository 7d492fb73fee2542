//! The part of Java's object serialization stream that FreeOTP 2's backup
//! uses: one `java.util.HashMap<String, String>`. The grammar is Java's
//! (Object Serialization Specification, chapter 6); this reads the
//! subset a map of strings needs (class descriptors, strings, block data,
//! references, nulls) and refuses anything else, so a hostile file cannot
//! make it do more than walk bytes.

use std::rc::Rc;

use zeroize::Zeroizing;

const MAGIC: [u8; 4] = [0xAC, 0xED, 0x00, 0x05];
const BASE_HANDLE: u32 = 0x7E_0000;
const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const TC_BLOCKDATALONG: u8 = 0x7A;
const TC_LONGSTRING: u8 = 0x7C;
const SC_WRITE_METHOD: u8 = 0x01;
/// Nested objects deeper than this, or classes with more ancestors, are
/// refused.
const MAX_DEPTH: usize = 16;
/// More objects than a backup of thousands of accounts has.
const MAX_HANDLES: usize = 1 << 16;
/// The most text the map's keys and values may hold in all: a reference
/// repeats a string without repeating its bytes in the file.
const MAX_TEXT: usize = 16 << 20;

/// True if `bytes` start a Java serialization stream.
pub fn is_stream(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// The keys and values of the `java.util.HashMap` of strings that `bytes`
/// hold, in stream order; `None` if they are anything else.
pub fn string_map(bytes: &[u8]) -> Option<Vec<(String, Zeroizing<String>)>> {
    let mut reader = Reader {
        bytes,
        at: MAGIC.len(),
        handles: Vec::new(),
    };
    if !is_stream(bytes) {
        return None;
    }
    let Content::Object { class, annotation } = reader.content(0)? else {
        return None;
    };
    if class.name != "java.util.HashMap" || reader.at != bytes.len() {
        return None;
    }
    // The annotation: capacity and size as block data, then the pairs.
    let mut items = annotation.into_iter();
    let Some(Content::Block(block)) = items.next() else {
        return None;
    };
    let size = u32::from_be_bytes(block.get(4..8)?.try_into().ok()?) as usize;
    let rest: Vec<Content> = items.collect();
    if rest.len() != 2 * size {
        return None;
    }
    let mut pairs = Vec::with_capacity(size);
    let mut total = 0usize;
    let mut rest = rest.into_iter();
    while let (Some(key), Some(value)) = (rest.next(), rest.next()) {
        let (Content::Text(key), Content::Text(value)) = (key, value) else {
            return None;
        };
        total = total.checked_add(key.len())?.checked_add(value.len())?;
        if total > MAX_TEXT {
            return None;
        }
        pairs.push((key.to_string(), Zeroizing::new(value.to_string())));
    }
    Some(pairs)
}

struct ClassDesc {
    name: String,
    flags: u8,
    fields: Vec<u8>,
    parent: Option<Rc<ClassDesc>>,
    /// How many classes `parent` has above it, this one included.
    ancestors: usize,
}

/// Text, shared between the stream's references to it.
type Text = Rc<Zeroizing<String>>;

enum Handle {
    Class(Rc<ClassDesc>),
    Text(Text),
    Object,
}

enum Content {
    Null,
    Text(Text),
    Block(Vec<u8>),
    Class(Rc<ClassDesc>),
    Object {
        class: Rc<ClassDesc>,
        annotation: Vec<Content>,
    },
    End,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    handles: Vec<Handle>,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    /// Modified UTF-8 (Java's CESU-8 with NUL as two bytes) of `len` bytes.
    /// (Only FreeOTP 2's encrypted backups are read this way, so the
    /// decoder comes with the encrypted-files feature; without it, plain
    /// UTF-8, which is the same for every character of the BMP but NUL.)
    fn text(&mut self, len: usize) -> Option<Text> {
        let raw = self.take(len)?;
        #[cfg(feature = "encrypted-files")]
        let text = cesu8::from_java_cesu8(raw).ok()?.into_owned();
        #[cfg(not(feature = "encrypted-files"))]
        let text = std::str::from_utf8(raw).ok()?.to_string();
        Some(Rc::new(Zeroizing::new(text)))
    }

    fn short_text(&mut self) -> Option<Text> {
        let len = self.u16()? as usize;
        self.text(len)
    }

    /// A new handle, unless the stream has too many.
    fn handle(&mut self, handle: Handle) -> Option<()> {
        if self.handles.len() >= MAX_HANDLES {
            return None;
        }
        self.handles.push(handle);
        Some(())
    }

    fn content(&mut self, depth: usize) -> Option<Content> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.u8()? {
            TC_NULL => Some(Content::Null),
            TC_ENDBLOCKDATA => Some(Content::End),
            TC_STRING => {
                let text = self.short_text()?;
                self.handle(Handle::Text(Rc::clone(&text)))?;
                Some(Content::Text(text))
            }
            TC_LONGSTRING => {
                let len = usize::try_from(self.u64()?).ok()?;
                let text = self.text(len)?;
                self.handle(Handle::Text(Rc::clone(&text)))?;
                Some(Content::Text(text))
            }
            TC_BLOCKDATA => {
                let len = self.u8()? as usize;
                Some(Content::Block(self.take(len)?.to_vec()))
            }
            TC_BLOCKDATALONG => {
                let len = self.u32()? as usize;
                Some(Content::Block(self.take(len)?.to_vec()))
            }
            TC_REFERENCE => {
                let index = self.u32()?.checked_sub(BASE_HANDLE)? as usize;
                match self.handles.get(index)? {
                    Handle::Class(class) => Some(Content::Class(Rc::clone(class))),
                    Handle::Text(text) => Some(Content::Text(Rc::clone(text))),
                    Handle::Object => None,
                }
            }
            TC_CLASSDESC => self.class_desc(depth).map(Content::Class),
            TC_OBJECT => self.object(depth),
            _ => None,
        }
    }

    fn class_desc(&mut self, depth: usize) -> Option<Rc<ClassDesc>> {
        let name = self.short_text()?;
        let _serial_version = self.u64()?;
        let handle = self.handles.len();
        self.handle(Handle::Object)?;
        let flags = self.u8()?;
        let count = self.u16()?;
        let mut fields = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let code = self.u8()?;
            let _name = self.short_text()?;
            if matches!(code, b'L' | b'[') {
                // The field's class name: a string or a reference to one.
                if !matches!(self.content(depth + 1)?, Content::Text(_)) {
                    return None;
                }
            }
            fields.push(code);
        }
        // The class annotation, which ObjectOutputStream leaves empty.
        if !matches!(self.content(depth + 1)?, Content::End) {
            return None;
        }
        let parent = match self.content(depth + 1)? {
            Content::Null => None,
            Content::Class(parent) => Some(parent),
            _ => return None,
        };
        let ancestors = parent.as_ref().map_or(0, |p| p.ancestors) + 1;
        if ancestors > MAX_DEPTH {
            return None;
        }
        let class = Rc::new(ClassDesc {
            name: name.to_string(),
            flags,
            fields,
            parent,
            ancestors,
        });
        self.handles[handle] = Handle::Class(Rc::clone(&class));
        Some(class)
    }

    fn object(&mut self, depth: usize) -> Option<Content> {
        let Content::Class(class) = self.content(depth + 1)? else {
            return None;
        };
        self.handle(Handle::Object)?;
        // Class data, the topmost class first.
        let mut chain = Vec::new();
        let mut next = Some(Rc::clone(&class));
        while let Some(c) = next {
            next = c.parent.clone();
            chain.push(c);
        }
        let mut annotation = Vec::new();
        for c in chain.iter().rev() {
            for &code in &c.fields {
                let size = match code {
                    b'B' | b'Z' => 1,
                    b'C' | b'S' => 2,
                    b'I' | b'F' => 4,
                    b'J' | b'D' => 8,
                    b'L' | b'[' => {
                        self.content(depth + 1)?;
                        continue;
                    }
                    _ => return None,
                };
                self.take(size)?;
            }
            if c.flags & SC_WRITE_METHOD != 0 {
                loop {
                    match self.content(depth + 1)? {
                        Content::End => break,
                        item => annotation.push(item),
                    }
                }
            }
        }
        Some(Content::Object { class, annotation })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A HashMap of `pairs` as Java 8 writes it.
    fn stream(pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([TC_OBJECT, TC_CLASSDESC]);
        out.extend(17u16.to_be_bytes());
        out.extend(b"java.util.HashMap");
        out.extend(362_498_820_763_181_265u64.to_be_bytes());
        out.extend([0x03, 0x00, 0x02]);
        out.extend([b'F', 0x00, 0x0A]);
        out.extend(b"loadFactor");
        out.extend([b'I', 0x00, 0x09]);
        out.extend(b"threshold");
        out.extend([TC_ENDBLOCKDATA, TC_NULL]);
        out.extend(0.75f32.to_be_bytes());
        out.extend(12u32.to_be_bytes());
        out.extend([TC_BLOCKDATA, 8]);
        out.extend(16u32.to_be_bytes());
        out.extend((pairs.len() as u32).to_be_bytes());
        for (k, v) in pairs {
            for s in [k, v] {
                out.push(TC_STRING);
                out.extend((s.len() as u16).to_be_bytes());
                out.extend(s.as_bytes());
            }
        }
        out.push(TC_ENDBLOCKDATA);
        out
    }

    #[test]
    fn a_map_of_strings() {
        let map = string_map(&stream(&[("a", "1"), ("masterKey", "{}")])).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!((map[1].0.as_str(), map[1].1.as_str()), ("masterKey", "{}"));
    }

    #[test]
    fn anything_else_is_refused_without_a_panic() {
        let good = stream(&[("a", "1")]);
        for cut in 0..good.len() {
            assert!(string_map(&good[..cut]).is_none(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(string_map(&trailing).is_none());
        let mut deep = MAGIC.to_vec();
        deep.extend(std::iter::repeat_n(TC_OBJECT, 1000));
        assert!(string_map(&deep).is_none());
        // Classes each the parent of the next, made by references (which
        // the depth of nesting does not count): refused at the 17th.
        let mut chain = Vec::new();
        for i in 0..40u32 {
            chain.extend([TC_CLASSDESC, 0x00, 0x01, b'C']);
            chain.extend([0u8; 8]);
            chain.extend([0x02, 0x00, 0x00, TC_ENDBLOCKDATA]);
            if i == 0 {
                chain.push(TC_NULL);
            } else {
                chain.push(TC_REFERENCE);
                chain.extend((BASE_HANDLE + i - 1).to_be_bytes());
            }
        }
        let mut reader = Reader {
            bytes: &chain,
            at: 0,
            handles: Vec::new(),
        };
        let read = (0..40).take_while(|_| reader.content(0).is_some()).count();
        assert_eq!(read, MAX_DEPTH);
        let mut bad_ref = MAGIC.to_vec();
        bad_ref.extend([TC_REFERENCE, 0x00, 0x7E, 0x00, 0x09]);
        assert!(string_map(&bad_ref).is_none());
    }
}
