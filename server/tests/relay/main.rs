//! The relay over real loopback sockets: every upstream, well-behaved or
//! not, is a real server the test starts, and the relay is the real router
//! on its own port. Waits are bounded polls; no test sleeps and then
//! asserts, and none asserts how long anything took.

mod support;

mod allow_list;
mod coalescing;
mod demo;
mod discovery;
mod edge;
mod faults;
mod history;
mod surface;
mod targets;
