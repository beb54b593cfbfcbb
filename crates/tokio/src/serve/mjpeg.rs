//! The generated M-JPEG stream of `GET /mjpeg?fps=F`: a
//! `multipart/x-mixed-replace` body (RFC 2046 §5.1, the "server push"
//! subtype browsers show in an `<img>`) whose parts are JPEG frames drawn
//! here, as a camera would send them.
//!
//! Each frame is a 320x240 picture: a background whose colours and a
//! moving bar change with the frame counter, the counter itself and the
//! wall clock (`HH:MM:SS.mmm UTC`), written with a built-in 5x7 bitmap
//! font ([`font`]) and encoded by the `jpeg-encoder` crate at quality 75.
//! Two frames always differ (the counter does), so a viewer, or a test
//! taking two screenshots, sees the picture change.
//!
//! Each stream item is one whole part as rtw-multipart's
//! [`Encoder`](rtw_multipart::Encoder) writes it (RFC 2046 §5.1.1): the
//! delimiter line (with the CRLF that belongs to it from the second part
//! on), `Content-Type: image/jpeg`, `Content-Length`, the empty line and
//! the JPEG. The close delimiter is never sent: the stream runs until the
//! client goes away. A browser may show a part only once the next
//! delimiter arrives (Content-Length is a hint it need not use), so a
//! frame is on screen one period after it was made at the latest.

mod font;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use rtw_multipart::{Boundary, Encoder, Part};
use tokio::time::{Interval, MissedTickBehavior};

/// The boundary of the `multipart/x-mixed-replace` body: the response's
/// `Content-Type` is `multipart/x-mixed-replace; boundary=` and this
/// (RFC 2046 §5.1.1: 1 to 70 characters from `bchars`; no quoting needed).
pub(crate) const BOUNDARY: &str = "rtw-mjpeg-frame";

/// Frames per second: what `?fps=` is clamped to.
const FPS: std::ops::RangeInclusive<u32> = 1..=30;

/// Frame size in pixels.
const WIDTH: usize = 320;
const HEIGHT: usize = 240;

/// JPEG quality, 1 to 100.
const QUALITY: u8 = 75;

/// The M-JPEG body: one whole part per tick of a `1/fps` s interval (`fps`
/// clamped to 1..=30), each a fresh JPEG frame. Ticks missed because the
/// client reads slowly are skipped, not made up in a burst
/// ([`MissedTickBehavior::Skip`]): a slow viewer gets fewer frames, never
/// stale ones queued. The stream never ends.
pub(crate) fn frames(fps: u32) -> impl Stream<Item = Bytes> + Send + 'static {
    let fps = fps.clamp(*FPS.start(), *FPS.end());
    let mut interval = tokio::time::interval(Duration::from_secs(1) / fps);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let generator = Generator {
        interval,
        encoder: Encoder::new(boundary()),
        counter: 0,
        canvas: Canvas::new(),
    };
    futures_util::stream::unfold(generator, |mut generator| async move {
        loop {
            generator.interval.tick().await;
            if let Some(part) = generator.next_part() {
                return Some((part, generator));
            }
        }
    })
}

/// [`BOUNDARY`] as a checked boundary.
fn boundary() -> Boundary {
    // A constant that meets RFC 2046's rules; the unit test below builds it.
    Boundary::new(BOUNDARY).unwrap_or_else(|_| unreachable!("BOUNDARY is a valid boundary"))
}

/// The state of one stream.
struct Generator {
    interval: Interval,
    encoder: Encoder,
    counter: u64,
    canvas: Canvas,
}

impl Generator {
    /// The next frame, encoded as a part; `None` in the (vanishingly rare)
    /// case that the JPEG holds the delimiter, which the encoder refuses:
    /// that frame is skipped.
    fn next_part(&mut self) -> Option<Bytes> {
        self.counter += 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.canvas.draw(self.counter, now);
        let jpeg = self.canvas.encode()?;
        let part = self
            .encoder
            .encode_part(&Part::new("image/jpeg", jpeg))
            .ok()?;
        let mut wire = BytesMut::with_capacity(part.len());
        part.write_to(&mut wire);
        Some(wire.freeze())
    }
}

/// An RGB picture being drawn.
struct Canvas {
    pixels: Vec<u8>,
}

/// A colour.
type Rgb = [u8; 3];

const WHITE: Rgb = [255, 255, 255];
const YELLOW: Rgb = [255, 220, 40];
const PANEL: Rgb = [16, 16, 24];

impl Canvas {
    fn new() -> Canvas {
        Canvas {
            pixels: vec![0; WIDTH * HEIGHT * 3],
        }
    }

    /// Frame `counter` at wall-clock time `now` (since the Unix epoch).
    fn draw(&mut self, counter: u64, now: Duration) {
        self.background(counter);
        self.rect(16, 16, WIDTH - 32, HEIGHT - 32, PANEL);
        self.text(28, 28, 2, "RTW M-JPEG", YELLOW);
        self.text(28, 64, 2, "FRAME", WHITE);
        self.text(28, 88, 4, &counter.to_string(), WHITE);
        self.text(28, 148, 3, &clock(now), WHITE);
        self.text(28, 184, 2, "UTC", YELLOW);
    }

    /// A diagonal gradient whose colours turn with `counter`, and a bar
    /// that moves 8 pixels a frame.
    fn background(&mut self, counter: u64) {
        let shift = (counter % 256) as usize;
        let bar = (counter as usize * 8) % WIDTH;
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                let i = (y * WIDTH + x) * 3;
                let color = if x >= bar && x < bar + 6 {
                    WHITE
                } else {
                    [
                        ((x + shift * 3) % 256) as u8,
                        ((y + shift * 5) % 256) as u8,
                        ((x + y + shift * 7) % 256) as u8,
                    ]
                };
                self.pixels[i..i + 3].copy_from_slice(&color);
            }
        }
    }

    /// A filled rectangle, clipped to the picture.
    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, color: Rgb) {
        for row in y..(y + h).min(HEIGHT) {
            for col in x..(x + w).min(WIDTH) {
                let i = (row * WIDTH + col) * 3;
                self.pixels[i..i + 3].copy_from_slice(&color);
            }
        }
    }

    /// `text` in the bitmap font, each font pixel `scale` x `scale`, one
    /// font pixel between glyphs; clipped to the picture.
    fn text(&mut self, x: usize, y: usize, scale: usize, text: &str, color: Rgb) {
        for (n, c) in text.chars().enumerate() {
            let left = x + n * (font::WIDTH + 1) * scale;
            for (row, bits) in font::glyph(c).iter().enumerate() {
                for col in 0..font::WIDTH {
                    if bits & (1 << (font::WIDTH - 1 - col)) != 0 {
                        self.rect(left + col * scale, y + row * scale, scale, scale, color);
                    }
                }
            }
        }
    }

    /// The picture as a baseline JPEG (ITU-T T.81), `None` if the encoder
    /// fails (it does not for a buffer of the right size).
    fn encode(&self) -> Option<Vec<u8>> {
        let mut jpeg = Vec::with_capacity(32 * 1024);
        let encoder = jpeg_encoder::Encoder::new(&mut jpeg, QUALITY);
        encoder
            .encode(
                &self.pixels,
                WIDTH as u16,
                HEIGHT as u16,
                jpeg_encoder::ColorType::Rgb,
            )
            .ok()?;
        Some(jpeg)
    }
}

/// `HH:MM:SS.mmm` of the UTC day.
fn clock(now: Duration) -> String {
    let secs = now.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use rtw_multipart::{Decoder, Item};

    /// The parts of the first `n` items of `frames(fps)`, decoded.
    async fn decode(fps: u32, n: usize) -> Vec<Part> {
        let stream = frames(fps);
        futures_util::pin_mut!(stream);
        let mut decoder = Decoder::new(boundary());
        let mut wire = BytesMut::new();
        let mut parts = Vec::new();
        while parts.len() < n {
            wire.extend_from_slice(&stream.next().await.unwrap());
            // Each item is one whole part: it decodes at once.
            match decoder.decode(&mut wire).unwrap() {
                Some(Item::Part(part)) => parts.push(part),
                other => panic!("expected a part, got {other:?}"),
            }
            assert!(wire.is_empty());
        }
        parts
    }

    #[tokio::test]
    async fn parts_are_whole_jpegs_that_differ() {
        let parts = decode(30, 4).await;
        for part in &parts {
            assert_eq!(part.content_type(), Some("image/jpeg"));
            assert_eq!(part.content_length(), Some(part.body.len() as u64));
            assert!(part.body.starts_with(&[0xFF, 0xD8]), "SOI");
            assert!(part.body.ends_with(&[0xFF, 0xD9]), "EOI");
            assert!(part.body.len() > 1000);
        }
        for pair in parts.windows(2) {
            assert_ne!(pair[0].body, pair[1].body);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_frame_per_period() {
        let start = tokio::time::Instant::now();
        decode(10, 11).await;
        // The first tick is at once; ten periods of 100 ms follow.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn fps_is_clamped() {
        let start = tokio::time::Instant::now();
        decode(0, 3).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let start = tokio::time::Instant::now();
        decode(1000, 4).await;
        // Three periods of 1/30 s, on tokio's millisecond timer.
        let elapsed = start.elapsed();
        assert!(elapsed.abs_diff(Duration::from_millis(100)) <= Duration::from_millis(3));
    }

    #[tokio::test]
    async fn rate_in_real_time_is_about_fps() {
        let start = std::time::Instant::now();
        decode(20, 21).await;
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(950) && elapsed < Duration::from_millis(2500),
            "{elapsed:?} for 20 periods of 50 ms"
        );
    }

    #[test]
    fn clock_and_drawing() {
        assert_eq!(
            clock(Duration::from_millis(
                86_400_000 * 3 + 13 * 3_600_000 + 5 * 60_000 + 7_089
            )),
            "13:05:07.089"
        );
        let mut a = Canvas::new();
        let mut b = Canvas::new();
        a.draw(1, Duration::ZERO);
        b.draw(2, Duration::ZERO);
        assert_ne!(a.pixels, b.pixels);
        // The counter is drawn in white on the panel.
        let white = a.pixels.chunks(3).filter(|p| *p == WHITE).count();
        assert!(white > 500, "{white}");
        assert_eq!(boundary().as_str(), BOUNDARY);
    }
}
