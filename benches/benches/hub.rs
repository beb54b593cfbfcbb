//! Fan-out of the rtw-hub `Hub` beside `tokio::sync::broadcast`, the
//! in-process channel a user would pick instead (a bounded ring that
//! every receiver reads at its own pace, lagging receivers told so: the
//! same shape as a hub topic with its history).
//!
//! - `hub_fanout_1000_subscribers`: one topic with 1,000 subscribers; each
//!   iteration publishes 100 messages of 64 bytes, then every subscriber
//!   takes all 100 (`poll_message` until `None`; the driver's `Ready`
//!   events are drained too). The broadcast channel (capacity 1,024, as
//!   the hub's queue bound) sends the same 100 and each of 1,000
//!   receivers `try_recv`s them.
//!
//! Throughput: messages delivered (100,000 per iteration).
//! Run with `cargo bench -p rtw-benches --bench hub`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use rtw_hub::{Config, Hub, Since};
use tokio::sync::broadcast;

rtw_benches::count_allocations!();

const SUBSCRIBERS: usize = 1000;
const MESSAGES: usize = 100;

fn fanout(c: &mut Criterion) {
    let data = Bytes::from(vec![b'x'; 64]);
    let mut group = Group::new(c, "hub_fanout_1000_subscribers");
    group.throughput(Throughput::Elements((SUBSCRIBERS * MESSAGES) as u64));

    let mut hub = Hub::new(Config::default());
    let subs: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| hub.subscribe("bench", Since::Now).expect("subscribe").id)
        .collect();
    group.bench("rtw-hub", || {
        for _ in 0..MESSAGES {
            hub.publish("bench", data.clone()).expect("publish");
        }
        while hub.poll_event().is_some() {}
        let mut n = 0;
        for &sub in &subs {
            while let Some(message) = hub.poll_message(sub) {
                n += message.data.len();
            }
        }
        assert_eq!(n, SUBSCRIBERS * MESSAGES * 64);
        black_box(n)
    });

    let (tx, _) = broadcast::channel::<Bytes>(1024);
    let mut rxs: Vec<_> = (0..SUBSCRIBERS).map(|_| tx.subscribe()).collect();
    group.bench("tokio-broadcast", || {
        for _ in 0..MESSAGES {
            tx.send(data.clone()).expect("send");
        }
        let mut n = 0;
        for rx in &mut rxs {
            while let Ok(message) = rx.try_recv() {
                n += message.len();
            }
        }
        assert_eq!(n, SUBSCRIBERS * MESSAGES * 64);
        black_box(n)
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
