//! PNG output: a real PNG of the right size, with text drawn by the embedded font.
use gcatm::plot::{self, LineChart};
use std::io::Read;

/// A decoded 8-bit RGB or RGBA, non-interlaced PNG (what plotters' encoder writes).
struct Png {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

impl Png {
    fn decode(bytes: &[u8]) -> Png {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        let (mut pos, mut idat, mut ihdr) = (8, Vec::new(), None);
        while pos + 8 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            let kind = &bytes[pos + 4..pos + 8];
            let data = &bytes[pos + 8..pos + 8 + len];
            match kind {
                b"IHDR" => ihdr = Some(data.to_vec()),
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            pos += 12 + len;
        }
        let ihdr = ihdr.expect("IHDR chunk");
        let width = u32::from_be_bytes(ihdr[0..4].try_into().unwrap());
        let height = u32::from_be_bytes(ihdr[4..8].try_into().unwrap());
        assert_eq!(ihdr[8], 8, "bit depth");
        assert_eq!(ihdr[12], 0, "interlace");
        let channels = match ihdr[9] {
            2 => 3,
            6 => 4,
            c => panic!("colour type {c}"),
        };
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .unwrap();
        let stride = width as usize * channels;
        assert_eq!(raw.len(), height as usize * (stride + 1));
        let mut pixels = vec![0u8; height as usize * stride];
        for y in 0..height as usize {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let a = if x >= channels {
                    pixels[y * stride + x - channels] as i16
                } else {
                    0
                };
                let b = if y > 0 {
                    pixels[(y - 1) * stride + x] as i16
                } else {
                    0
                };
                let c = if x >= channels && y > 0 {
                    pixels[(y - 1) * stride + x - channels] as i16
                } else {
                    0
                };
                let pred = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => {
                        let p = a + b - c;
                        let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    f => panic!("filter {f}"),
                };
                pixels[y * stride + x] = (line[x] as i16 + pred) as u8;
            }
        }
        Png {
            width,
            height,
            channels,
            pixels,
        }
    }

    /// Pixels in rows `y0..y1` whose every channel is below 100 (dark ink on white).
    fn dark_pixels(&self, y0: u32, y1: u32) -> usize {
        let stride = self.width as usize * self.channels;
        (y0 as usize..y1 as usize)
            .flat_map(|y| self.pixels[y * stride..(y + 1) * stride].chunks(self.channels))
            .filter(|p| p[..3].iter().all(|&v| v < 100))
            .count()
    }
}

#[test]
fn png_has_the_figure_size_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("losses.png");
    let d: Vec<(f64, f64)> = (0..50)
        .map(|i| (i as f64, (i as f64 / 7.0).cos()))
        .collect();
    let fig = plot::losses(&[("D", d)], "iteration").unwrap();
    fig.save_png(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.len() > 5_000,
        "PNG of {} bytes is too small for a chart",
        bytes.len()
    );
    let png = Png::decode(&bytes);
    // 800 x 480 for the plot, and the legend's rows under it (the default: outside the data).
    assert_eq!((png.width, png.height), (fig.width(), fig.height()));
    assert!(
        png.width == 800 && png.height > 480,
        "{}x{}",
        png.width,
        png.height
    );
    // The line and axes are drawn: the picture is not blank.
    assert!(png.dark_pixels(0, png.height) > 1_000);
    // Overwrite in place, no temporary file left beside it.
    fig.save_png(&path).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn png_size_follows_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.png");
    LineChart::new("small")
        .series("s", vec![(0.0, 0.0), (1.0, 1.0)])
        .size(400, 300)
        // A legend inside the plot adds no rows under it.
        .legend(gcatm::plot::Legend::UpperRight)
        .build()
        .unwrap()
        .save_png(&path)
        .unwrap();
    let png = Png::decode(&std::fs::read(&path).unwrap());
    assert_eq!((png.width, png.height), (400, 300));
}

/// The title is rasterised with the embedded DejaVu Sans (plotters' ab_glyph never looks for
/// system fonts), so dark pixels must appear in the title band and vanish without a title.
#[test]
fn title_text_renders_without_system_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let draw = |title: &str, name: &str| {
        let path = dir.path().join(name);
        LineChart::new(title)
            .series("s", vec![(0.0, 0.0), (1.0, 1.0)])
            .build()
            .unwrap()
            .save_png(&path)
            .unwrap();
        Png::decode(&std::fs::read(&path).unwrap())
    };
    let with = draw("WWWW MMMM Topic coherence", "title.png");
    let without = draw("", "no_title.png");
    // The title (22 px) sits in the top 16 px margin + its own line: rows 10..45.
    let ink = with.dark_pixels(10, 45);
    assert!(ink > 150, "only {ink} dark pixels in the title band");
    assert!(
        without.dark_pixels(0, 14) == 0,
        "margin should be blank without a title"
    );
}
