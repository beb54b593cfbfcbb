//! A hub with three subscribers on one topic, driven as `rtw serve`'s
//! driver would: a fast reader, a slow one that is evicted and resumes
//! from the id it was given, and a late one that replays the history.
//! Prints what each gets; runs in memory and exits.

use bytes::Bytes;
use rtw_hub::{Config, Hub, HubEvent, Limits, MessageId, Since, SubscriberId};

fn main() {
    let limits = Limits::default().queue_messages(3).history_messages(10);
    let mut hub = Hub::new(Config::default().limits(limits));
    let fast = hub.subscribe("ticks", Since::Now).expect("subscribe").id;
    let mut slow = hub.subscribe("ticks", Since::Now).expect("subscribe").id;

    for n in 1..=6 {
        let id = hub
            .publish("ticks", Bytes::from(format!("tick {n}")))
            .expect("publish");
        println!("published {id}");
        while let Some(event) = hub.poll_event() {
            match event {
                HubEvent::Ready(sub) if sub == fast => take("fast", &mut hub, fast),
                HubEvent::Ready(sub) => println!("  subscriber {sub} is ready (not reading)"),
                HubEvent::Evicted {
                    subscriber,
                    last_delivered,
                    reason,
                    ..
                } => {
                    println!(
                        "  subscriber {subscriber} evicted ({reason:?}), resumes after {last_delivered}"
                    );
                    let back = hub
                        .subscribe("ticks", Since::After(last_delivered))
                        .expect("resume");
                    assert_eq!(back.missed, None);
                    slow = back.id;
                }
                other => println!("  {other:?}"),
            }
        }
    }
    take("slow (resumed)", &mut hub, slow);

    let late = hub
        .subscribe("ticks", Since::After(MessageId(2)))
        .expect("subscribe");
    take("late, since=2", &mut hub, late.id);
    println!("{:?}", hub.stats());
}

fn take(who: &str, hub: &mut Hub, sub: SubscriberId) {
    while let Some(message) = hub.poll_message(sub) {
        println!("  {who} got {} {:?}", message.id, message.data);
    }
}
