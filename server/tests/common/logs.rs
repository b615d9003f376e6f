//! Everything the server logs, captured in memory (for the tests that search
//! the logs; each installs a global subscriber, so each holds one test).

use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Installs a global subscriber writing here, through the server's own
    /// log filter given `directives` (as `VARCO_LOG` would).
    pub fn install(directives: &str) -> Captured {
        let logs = Captured::default();
        tracing_subscriber::fmt()
            .with_env_filter(varco_server::telemetry::filter(directives).unwrap())
            .with_ansi(false)
            .with_writer(logs.clone())
            .init();
        logs
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}
