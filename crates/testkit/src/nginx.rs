//! Debian's nginx in front of server instances, configured with the
//! repository's own example (`deploy/nginx/switchboard.conf`) with only the
//! addresses changed. Used by the fleet tests and the desktop end-to-end
//! test (the app against the fleet's one address).

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running nginx; stopped (SIGTERM, so its workers go too) on drop.
pub struct Nginx {
    /// `http://127.0.0.1:PORT`: the fleet's one address.
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx in front of two upstream base URLs (`http://host:port`).
    pub fn start(upstreams: [&str; 2]) -> Nginx {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| panic!("nginx is not installed; `cargo xtask setup` installs it"));
        let dir = tempfile::tempdir().expect("tempdir");
        let port = crate::free_port();
        let example = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .find(|p| p.join("deploy/nginx/switchboard.conf").exists())
                .expect("the repository root")
                .join("deploy/nginx/switchboard.conf"),
        )
        .expect("deploy/nginx/switchboard.conf");
        let site = example
            .replace("127.0.0.1:8081", upstreams[0].trim_start_matches("http://"))
            .replace("127.0.0.1:8082", upstreams[1].trim_start_matches("http://"))
            .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"));
        let p = dir.path().display();
        let conf = format!(
            "pid {p}/nginx.pid;\nerror_log {p}/error.log;\ndaemon off;\nevents {{ worker_connections 1024; }}\n\
             http {{\n access_log off;\n client_body_temp_path {p}/body;\n proxy_temp_path {p}/proxy;\n\
             fastcgi_temp_path {p}/fastcgi;\n uwsgi_temp_path {p}/uwsgi;\n scgi_temp_path {p}/scgi;\n{site}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let child = Command::new(nginx)
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        Nginx {
            url: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signalling our own child process.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
    }
}
