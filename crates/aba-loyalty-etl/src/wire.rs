//! A binary COPY out read straight from PostgreSQL's socket, for the audit's bulk streams.
//!
//! The `postgres` crate hands a COPY's rows over one message at a time, each through its
//! runtime's `block_on`, the connection task's parser and a channel: `perf` put that at about 30 %
//! of the audit's CPU for 10M lines (docs/audit.md, Measured). Here a row is a slice of one large
//! read buffer. Only what a read-only COPY needs is spoken: startup, authentication (trust,
//! password, md5, SCRAM-SHA-256, through postgres-protocol as the driver does), simple queries.
//! No TLS, as the ETL's driver connections (`NoTls`).
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres::config::Host;
use postgres::Config;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256, SCRAM_SHA_256};
use postgres_protocol::message::backend::{ErrorResponseBody, Message};
use postgres_protocol::message::frontend;

/// Large enough for thousands of rows per read; grown for a longer message.
const BUFFER: usize = 256 * 1024;

/// Why a wire connection or its COPY failed.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server's ErrorResponse.
    #[error("{message} (SQLSTATE {code})")]
    Server { code: String, message: String },
    /// The server asked for something this client does not speak.
    #[error("{0}")]
    Unsupported(String),
}

enum Socket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Socket {
    fn stream(&mut self) -> &mut dyn ReadWrite {
        match self {
            Socket::Tcp(s) => s,
            #[cfg(unix)]
            Socket::Unix(s) => s,
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Every (host, port) of `config` in order, as libpq and the driver try them.
fn connect_socket(config: &Config) -> io::Result<Socket> {
    let hosts = config.get_hosts();
    let addrs = config.get_hostaddrs();
    let ports = config.get_ports();
    let count = hosts.len().max(addrs.len());
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no host to connect to");
    for i in 0..count {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let attempt = match (addrs.get(i), hosts.get(i)) {
            (Some(ip), _) => tcp((*ip, port).into(), config),
            (None, Some(Host::Tcp(name))) => resolved(name, port, config),
            #[cfg(unix)]
            (None, Some(Host::Unix(dir))) => {
                UnixStream::connect(dir.join(format!(".s.PGSQL.{port}"))).map(Socket::Unix)
            }
            (None, None) => continue,
        };
        match attempt {
            Ok(socket) => return Ok(socket),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The first address of `name` that accepts a connection.
fn resolved(name: &str, port: u16, config: &Config) -> io::Result<Socket> {
    let mut last = io::Error::other(format!("{name} resolved to no address"));
    for addr in std::net::ToSocketAddrs::to_socket_addrs(&(name, port))? {
        match tcp(addr, config) {
            Ok(socket) => return Ok(socket),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn tcp(addr: std::net::SocketAddr, config: &Config) -> io::Result<Socket> {
    let stream = match config.get_connect_timeout() {
        Some(timeout) => TcpStream::connect_timeout(&addr, *timeout)?,
        None => TcpStream::connect(addr)?,
    };
    stream.set_nodelay(true)?;
    Ok(Socket::Tcp(stream))
}

fn server_error(body: &ErrorResponseBody) -> WireError {
    let (mut code, mut message) = (String::new(), String::new());
    let mut fields = body.fields();
    while let Ok(Some(f)) = fields.next() {
        let value = String::from_utf8_lossy(f.value_bytes()).into_owned();
        match f.type_() {
            b'C' => code = value,
            b'M' => message = value,
            _ => {}
        }
    }
    WireError::Server { code, message }
}

/// One binary `COPY ... TO STDOUT` on its own connection, as a [`BufRead`] of the COPY data:
/// each `fill_buf` is the rest of one CopyData message (PostgreSQL sends a row per message).
pub struct CopyOut {
    socket: Socket,
    buf: Vec<u8>,
    /// Unread bytes are `buf[pos..end]`; the current CopyData payload ends at `row_end`.
    pos: usize,
    end: usize,
    row_end: usize,
    done: bool,
}

impl CopyOut {
    /// Connects as `config` says, logged in as `user` (the session user the driver logged in
    /// as: `config` may name none).
    pub fn connect(config: &Config, user: &str) -> Result<Self, WireError> {
        let mut out = CopyOut {
            socket: connect_socket(config)?,
            buf: vec![0; BUFFER],
            pos: 0,
            end: 0,
            row_end: 0,
            done: false,
        };
        out.startup(config, user)?;
        Ok(out)
    }

    /// Runs `setup` (e.g. `BEGIN ...; SET TRANSACTION SNAPSHOT ...`), then `copy`, a binary
    /// `COPY (...) TO STDOUT`, whose data is then read through [`BufRead`].
    pub fn query(&mut self, setup: &str, copy: &str) -> Result<(), WireError> {
        self.simple_query(setup)?;
        self.start_copy(copy)
    }

    fn send(&mut self, message: &BytesMut) -> io::Result<()> {
        self.socket.stream().write_all(message)
    }

    fn startup(&mut self, config: &Config, user: &str) -> Result<(), WireError> {
        let mut params = vec![("user", user), ("client_encoding", "UTF8")];
        if let Some(db) = config.get_dbname() {
            params.push(("database", db));
        }
        if let Some(options) = config.get_options() {
            params.push(("options", options));
        }
        if let Some(name) = config.get_application_name() {
            params.push(("application_name", name));
        }
        let mut msg = BytesMut::new();
        frontend::startup_message(params, &mut msg)?;
        self.send(&msg)?;
        let password = || {
            config.get_password().ok_or_else(|| {
                WireError::Unsupported("the server asks for a password and none is given".into())
            })
        };
        let mut scram: Option<ScramSha256> = None;
        loop {
            let mut reply = BytesMut::new();
            match self.message()? {
                Message::AuthenticationOk => {}
                Message::AuthenticationCleartextPassword => {
                    frontend::password_message(password()?, &mut reply)?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let hash = md5_hash(user.as_bytes(), password()?, body.salt());
                    frontend::password_message(hash.as_bytes(), &mut reply)?;
                }
                Message::AuthenticationSasl(body) => {
                    let mut mechanisms = body.mechanisms();
                    let mut scram_offered = false;
                    while let Some(m) = mechanisms.next()? {
                        scram_offered |= m == SCRAM_SHA_256;
                    }
                    if !scram_offered {
                        return Err(WireError::Unsupported(
                            "the server offers no SASL mechanism but SCRAM-SHA-256-PLUS, which needs TLS".into(),
                        ));
                    }
                    let s = ScramSha256::new(password()?, ChannelBinding::unsupported());
                    frontend::sasl_initial_response(SCRAM_SHA_256, s.message(), &mut reply)?;
                    scram = Some(s);
                }
                Message::AuthenticationSaslContinue(body) => {
                    let s = scram.as_mut().ok_or_else(|| out_of_order("SASL continue"))?;
                    s.update(body.data())?;
                    frontend::sasl_response(s.message(), &mut reply)?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let s = scram.as_mut().ok_or_else(|| out_of_order("SASL final"))?;
                    s.finish(body.data())?;
                }
                Message::ReadyForQuery(_) => return Ok(()),
                Message::ErrorResponse(e) => return Err(server_error(&e)),
                Message::AuthenticationKerberosV5
                | Message::AuthenticationScmCredential
                | Message::AuthenticationGss
                | Message::AuthenticationSspi => {
                    return Err(WireError::Unsupported(
                        "the server asks for an authentication method the ETL does not support (only trust, password, md5 and SCRAM-SHA-256)".into(),
                    ))
                }
                // BackendKeyData, ParameterStatus, NoticeResponse: nothing to do.
                _ => {}
            }
            if !reply.is_empty() {
                self.send(&reply)?;
            }
        }
    }

    /// Runs `sql`, waiting for the server to be ready again; its first error is returned.
    fn simple_query(&mut self, sql: &str) -> Result<(), WireError> {
        let mut msg = BytesMut::new();
        frontend::query(sql, &mut msg)?;
        self.send(&msg)?;
        let mut failed = None;
        loop {
            match self.message()? {
                Message::ErrorResponse(e) => failed = failed.or(Some(server_error(&e))),
                Message::ReadyForQuery(_) => return failed.map_or(Ok(()), Err),
                _ => {}
            }
        }
    }

    fn start_copy(&mut self, copy: &str) -> Result<(), WireError> {
        let mut msg = BytesMut::new();
        frontend::query(copy, &mut msg)?;
        self.send(&msg)?;
        loop {
            match self.message()? {
                Message::CopyOutResponse(body) if body.format() == 1 => return Ok(()),
                Message::CopyOutResponse(_) => {
                    return Err(WireError::Unsupported(
                        "a text COPY where a binary one was asked".into(),
                    ))
                }
                Message::ErrorResponse(e) => {
                    let e = server_error(&e);
                    // Drain to ReadyForQuery, so the connection closes cleanly.
                    while !matches!(self.message()?, Message::ReadyForQuery(_)) {}
                    return Err(e);
                }
                Message::NoticeResponse(_) | Message::ParameterStatus(_) => {}
                _ => return Err(out_of_order("before the COPY's data")),
            }
        }
    }

    /// At least `n` unread bytes in the buffer (moved to its start, grown when needed).
    fn fill(&mut self, n: usize) -> io::Result<()> {
        if self.end - self.pos >= n {
            return Ok(());
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.row_end = self.row_end.saturating_sub(self.pos);
        self.pos = 0;
        if self.buf.len() < n {
            self.buf.resize(n.max(BUFFER), 0);
        }
        while self.end < n {
            let read = self.socket.stream().read(&mut self.buf[self.end..])?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            self.end += read;
        }
        Ok(())
    }

    /// The next whole message: (its type, its body's range in `buf`), consumed.
    fn raw_message(&mut self) -> io::Result<(u8, usize, usize)> {
        self.fill(5)?;
        let tag = self.buf[self.pos];
        let len = u32::from_be_bytes(self.buf[self.pos + 1..self.pos + 5].try_into().unwrap());
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len < 4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a message of length {len}"),
            ));
        }
        self.fill(1 + len)?;
        let body = self.pos + 5;
        self.pos += 1 + len;
        Ok((tag, body, self.pos))
    }

    /// The next message, parsed (outside the COPY's data: rare, so parsed generally).
    fn message(&mut self) -> Result<Message, WireError> {
        let (_, body, end) = self.raw_message()?;
        parse(&self.buf[body - 5..end])
    }
}

fn parse(whole: &[u8]) -> Result<Message, WireError> {
    Message::parse(&mut BytesMut::from(whole))?.ok_or_else(|| out_of_order("a partial message"))
}

fn out_of_order(what: &str) -> WireError {
    WireError::Io(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected message from the server: {what}"),
    ))
}

impl Read for CopyOut {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for CopyOut {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.row_end && !self.done {
            let (tag, body, end) = self.raw_message()?;
            match tag {
                b'd' => {
                    self.pos = body;
                    self.row_end = end;
                }
                // CopyDone, CommandComplete, then ReadyForQuery: the end.
                b'c' | b'C' => {}
                b'Z' => self.done = true,
                b'E' => {
                    return Err(io::Error::other(match parse(&self.buf[body - 5..end]) {
                        Ok(Message::ErrorResponse(e)) => server_error(&e),
                        Ok(_) => out_of_order("an error that is not one"),
                        Err(e) => e,
                    }));
                }
                // NoticeResponse, ParameterStatus, NotificationResponse.
                b'N' | b'S' | b'A' => {}
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unexpected message {:?} during COPY", other as char),
                    ))
                }
            }
        }
        if self.done {
            return Ok(&[]);
        }
        Ok(&self.buf[self.pos..self.row_end])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.row_end.max(self.pos));
    }
}

impl Drop for CopyOut {
    fn drop(&mut self) {
        // Read to the end: say goodbye. Stopped early: closing the socket ends the backend.
        if self.done {
            let mut msg = BytesMut::new();
            frontend::terminate(&mut msg);
            let _ = self.send(&msg);
        }
    }
}
