//! The process's open-file limit: raised to its hard limit at start, since every connection
//! holds a file descriptor, and the ceiling the connection cap is derived from.

/// Connections a server holds open at most unless told otherwise: each costs a descriptor and
/// its buffers (some 10 KiB), while webhook senders keep a few hundred open at a busy time.
const MAX_CONNECTIONS: usize = 10_000;

/// Raises the soft limit on open files to the hard limit and returns the limit in force.
pub(super) fn raise_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::info!(open_files = limit, "raised the open-file limit to its hard limit");
            limit
        }
        Err(error) => {
            let limit = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(u64::MAX, |(soft, _)| soft);
            tracing::warn!(open_files = limit, %error, "could not raise the open-file limit");
            limit
        }
    }
}

/// The connection cap for `open_files`: the one asked for, else 10,000 or half the limit if that
/// is lower, leaving the other half to the store, the runs' outbound connections and brokers.
pub(super) fn connection_cap(asked: Option<usize>, open_files: u64) -> usize {
    let half = usize::try_from(open_files / 2).unwrap_or(usize::MAX);
    match asked {
        Some(cap) => {
            if u64::try_from(cap).is_ok_and(|cap| cap >= open_files) {
                tracing::warn!(
                    max_connections = cap,
                    open_files,
                    "the connection cap is above the open-file limit: connections past the limit fail before the cap refuses them, and the store may fail to open files"
                );
            }
            cap.max(1)
        }
        None => MAX_CONNECTIONS.min(half).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_half_the_descriptors_to_the_rest_of_the_server() {
        assert_eq!(connection_cap(None, 1_048_576), 10_000);
        assert_eq!(connection_cap(None, 1024), 512);
        assert_eq!(connection_cap(Some(50), 1024), 50);
        assert_eq!(connection_cap(Some(0), 1024), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_limit_in_force_is_the_hard_limit() {
        let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(raise_limit(), hard);
    }
}
