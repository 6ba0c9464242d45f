package io.salientstream.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server under every service (analyzer, pruner, schema registry, and any later one), on
 * Jetty's core API. What it guards against, each with a setting in {@link Builder}:
 *
 * <ul>
 *   <li><b>Half-open connections</b> (slowloris): request headers are parsed without holding a
 *       thread, so connections that never finish their request occupy no worker; each is closed
 *       after the idle timeout (default 10 s). The JDK's {@code HttpServer} read headers on a
 *       worker thread: two such connections blocked {@code /health} for over 90 s.
 *   <li><b>Size</b>: request line plus headers at most 8 KiB (431 beyond), bodies at most {@code
 *       maxBodyBytes} (413, decided from {@code Content-Length} before reading, and again while
 *       reading a body of unannounced length).
 *   <li><b>Exposure</b>: binds to {@code localhost} unless told otherwise.
 *   <li><b>Echo</b>: error messages are clipped to {@link #MAX_ECHO} characters, so an error never
 *       returns a 100 KB id it was sent.
 *   <li><b>Authentication</b> (optional): every path except the open ones (default {@code /health})
 *       needs a valid {@code Authorization} header, else 401 with a challenge.
 *   <li><b>Streams</b> (server-sent events and the like, {@link Builder#stream}): written with
 *       Jetty's asynchronous writes, so an open stream holds no thread and a sender never waits on
 *       a client; at most {@code maxStreams} are open at once (503 with {@code Retry-After}
 *       beyond); a client that stops reading is closed once {@code streamBacklogBytes} wait unsent
 *       for it (or its pending write outlasts the idle timeout), and the others go on unaffected.
 * </ul>
 *
 * Routing is the route's business; {@code /healthXYZ} is not {@code /health} unless a route says
 * so.
 */
public final class HardenedHttpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HardenedHttpServer.class);

  /** Kernel send buffer asked for each accepted connection (Linux doubles it). */
  static final int SEND_BUFFER_BYTES = 128 * 1024;

  /** Error messages are clipped to this many characters. */
  public static final int MAX_ECHO = 200;

  /** A reply: status, content type and body. */
  public record Reply(int status, String contentType, byte[] body) {
    public Reply {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
    }

    public static Reply text(int status, String contentType, String body) {
      return new Reply(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** What a server does with a request. */
  @FunctionalInterface
  public interface Route {
    /** The reply; throw {@link HttpError} for a failure with a status. */
    Reply serve(HttpExchange exchange) throws Exception;
  }

  /** One open stream reply, as the code that feeds it sees it. Thread-safe. */
  public interface Stream {
    /**
     * Queues {@code bytes} for the client and returns at once (never waits on the client): false
     * when the stream is closed, or closes now because the client fell more than the backlog limit
     * behind.
     */
    boolean send(byte[] bytes);

    /** Whether the stream still takes bytes. */
    boolean isOpen();

    /** Ends the reply after what is queued has been written. */
    void close();

    /** Runs {@code action} once the stream is closed, for any reason (at once if it is already). */
    void onClose(Runnable action);
  }

  /** What a server does with a request for a stream path. */
  @FunctionalInterface
  public interface StreamRoute {
    /**
     * Checks the request (throw {@link HttpError} to refuse it with an ordinary error reply) and
     * may queue the stream's first bytes. The status (200) and headers go out once this returns;
     * keep the stream and {@link Stream#send} to it from any thread.
     */
    void open(HttpExchange exchange, Stream stream) throws Exception;
  }

  /**
   * {@code s}, or its first {@link #MAX_ECHO} characters and a note of how long it was: for any
   * message that may quote what a client sent.
   */
  public static String clip(String s) {
    return clip(s, MAX_ECHO);
  }

  /** {@code s}, or its first {@code max} characters and a note of how long it was. */
  public static String clip(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    return s.substring(0, max) + "… (" + s.length() + " characters)";
  }

  /**
   * The default error body: {@code {"error": "<message>"}}. The server clips the message before
   * (see {@link #clip}).
   */
  public static Reply jsonError(int status, String message) {
    StringBuilder sb = new StringBuilder("{\"error\":\"");
    for (char c : String.valueOf(message).toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return Reply.text(status, "application/json", sb.append("\"}").toString());
  }

  public static Builder builder(String name, Route route) {
    return new Builder(name, route);
  }

  /** The server's settings; the defaults are the safe ones. */
  public static final class Builder {
    private final String name;
    private final Route route;
    private String host = "localhost";
    private int port;
    private Duration idleTimeout = Duration.ofSeconds(10);
    private int maxHeaderBytes = 8 * 1024;
    private int maxBodyBytes = 64 * 1024;
    private int maxThreads = 8;
    private SSLContext tls;
    private HttpAuth auth;
    private Set<String> openPaths = Set.of("/health");
    private BiFunction<Integer, String, Reply> errors = HardenedHttpServer::jsonError;
    private final Map<String, StreamPath> streams = new LinkedHashMap<>();
    private int maxStreams = 32;
    private int streamBacklogBytes = 256 * 1024;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder(String name, Route route) {
      this.name = Objects.requireNonNull(name, "name");
      this.route = Objects.requireNonNull(route, "route");
    }

    /** Interface to bind ({@code localhost} by default; {@code 0.0.0.0} for all). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Port (0, the default: any free port). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** A connection silent this long is closed (also one stuck in its request headers). */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = timeout;
      return this;
    }

    public Builder maxHeaderBytes(int bytes) {
      this.maxHeaderBytes = bytes;
      return this;
    }

    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = bytes;
      return this;
    }

    /** Worker threads (requests served at once). */
    public Builder maxThreads(int threads) {
      this.maxThreads = threads;
      return this;
    }

    /** HTTPS with this context instead of HTTP. */
    public Builder tls(SSLContext context) {
      this.tls = context;
      return this;
    }

    /** Requires authentication on every path but the open ones; null: none. */
    public Builder auth(HttpAuth auth) {
      this.auth = auth;
      return this;
    }

    /** Exact paths served without authentication (default: {@code /health}). */
    public Builder openPaths(Set<String> paths) {
      this.openPaths = Set.copyOf(paths);
      return this;
    }

    /** The body of an error reply (default {@link #jsonError}); the message is already clipped. */
    public Builder errorBody(BiFunction<Integer, String, Reply> errors) {
      this.errors = errors;
      return this;
    }

    /**
     * Serves the exact {@code path} as a stream of {@code contentType} (e.g. {@code
     * text/event-stream; charset=utf-8}) opened by {@code route}. Authentication applies as on any
     * other path.
     */
    public Builder stream(String path, String contentType, StreamRoute route) {
      streams.put(
          Objects.requireNonNull(path, "path"),
          new StreamPath(
              Objects.requireNonNull(contentType, "contentType"),
              Objects.requireNonNull(route, "route")));
      return this;
    }

    /** Streams open at once (default 32); one more is answered 503 with {@code Retry-After}. */
    public Builder maxStreams(int streams) {
      if (streams < 1) {
        throw new IllegalArgumentException("maxStreams must be >= 1, got " + streams);
      }
      this.maxStreams = streams;
      return this;
    }

    /**
     * Bytes a stream may hold unsent (default 256 KiB): a client further behind is too slow and its
     * stream is closed.
     */
    public Builder streamBacklogBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("streamBacklogBytes must be >= 1, got " + bytes);
      }
      this.streamBacklogBytes = bytes;
      return this;
    }

    /** A header sent with every reply (e.g. {@code X-Content-Type-Options: nosniff}). */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Binds and starts serving. */
    public HardenedHttpServer start() throws IOException {
      return new HardenedHttpServer(this);
    }
  }

  private record StreamPath(String contentType, StreamRoute route) {}

  private final Server server;
  private final ServerConnector connector;
  private final Builder options;
  private final Set<OpenStream> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong refusedStreams = new AtomicLong();
  private final AtomicLong slowStreams = new AtomicLong();

  private HardenedHttpServer(Builder b) throws IOException {
    this.options = b;
    QueuedThreadPool pool = new QueuedThreadPool(Math.max(4, b.maxThreads + 2), 2);
    pool.setName(b.name);
    pool.setDaemon(true);
    pool.setReservedThreads(0);
    server = new Server(pool);
    server.setStopTimeout(0);
    HttpConfiguration cfg = new HttpConfiguration();
    cfg.setRequestHeaderSize(b.maxHeaderBytes);
    cfg.setSendServerVersion(false);
    cfg.setSendXPoweredBy(false);
    HttpConnectionFactory http = new HttpConnectionFactory(cfg);
    if (b.tls != null) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false);
      cfg.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(b.tls);
      connector =
          new ServerConnector(
              server, 1, 1, new SslConnectionFactory(ssl, http.getProtocol()), http);
    } else {
      connector = new ServerConnector(server, 1, 1, http);
    }
    connector.setHost(b.host);
    connector.setPort(b.port);
    connector.setIdleTimeout(b.idleTimeout.toMillis());
    // A bounded kernel send buffer per connection: otherwise the kernel alone absorbs up to
    // tcp_wmem's maximum (4 MiB here) for a client that stopped reading, and the stream backlog
    // limit would only be reached long after the client stalled (or never, for a short burst).
    connector.setAcceptedSendBufferSize(SEND_BUFFER_BYTES);
    server.addConnector(connector);
    server.setHandler(new Dispatch());
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // already failing
      }
      throw new IOException("cannot start " + b.name + " on " + b.host + ":" + b.port, e);
    }
  }

  /** The port it listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The interface it is bound to. */
  public String host() {
    return options.host;
  }

  /** Base URL, e.g. {@code http://localhost:8090}. */
  public String url() {
    return (options.tls != null ? "https" : "http") + "://" + options.host + ":" + port();
  }

  /** Streams open now. */
  public int openStreams() {
    return open.size();
  }

  /** Streams refused so far because {@code maxStreams} were open. */
  public long refusedStreams() {
    return refusedStreams.get();
  }

  /** Streams closed so far because their client fell more than the backlog limit behind. */
  public long slowStreamsClosed() {
    return slowStreams.get();
  }

  @Override
  public void close() {
    for (OpenStream s : open) {
      s.fail(new IOException(options.name + " is stopping"));
    }
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("stopping {}: {}", options.name, e.toString());
    }
  }

  private final class Dispatch extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Reply reply;
      try {
        reply = serve(request, response, callback);
        if (reply == null) {
          return true; // a stream: it completes the callback when it ends
        }
      } catch (HttpError e) {
        reply = options.errors.apply(e.status(), clip(e.getMessage()));
      } catch (Exception | StackOverflowError e) {
        LOG.error(
            "{}: {} {} failed",
            options.name,
            request.getMethod(),
            clip(request.getHttpURI().getPath()),
            e);
        reply = options.errors.apply(500, clip(String.valueOf(e.getMessage())));
      }
      response.setStatus(reply.status());
      options.headers.forEach((k, v) -> response.getHeaders().put(k, v));
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
      if (reply.status() == 401 && options.auth != null) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, options.auth.challenge());
      }
      if (reply.status() == 503 && options.streams.containsKey(request.getHttpURI().getPath())) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "2");
      }
      response.write(true, ByteBuffer.wrap(reply.body()), callback);
      return true;
    }

    /** The reply, or null when the request opened a stream. */
    private Reply serve(Request request, Response response, Callback callback) throws Exception {
      String path = request.getHttpURI().getPath();
      Optional<String> principal = Optional.empty();
      if (options.auth != null && !options.openPaths.contains(path)) {
        principal = options.auth.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        if (principal.isEmpty()) {
          throw new HttpError(401, "authentication required");
        }
      }
      Exchange exchange = new Exchange(request, principal);
      StreamPath stream = options.streams.get(path);
      if (stream == null) {
        return options.route.serve(exchange);
      }
      OpenStream s = new OpenStream(response, callback);
      if (!reserve(s)) {
        refusedStreams.incrementAndGet();
        throw new HttpError(
            503,
            options.maxStreams + " streams are open (the most served at once); try again shortly");
      }
      try {
        stream.route().open(exchange, s);
      } catch (Exception | Error e) {
        open.remove(s);
        throw e;
      }
      response.setStatus(200);
      options.headers.forEach((k, v) -> response.getHeaders().put(k, v));
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, stream.contentType());
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      request.addFailureListener(s::fail);
      s.start();
      return null;
    }

    private boolean reserve(OpenStream s) {
      synchronized (open) {
        if (open.size() >= options.maxStreams) {
          return false;
        }
        open.add(s);
        return true;
      }
    }
  }

  /**
   * One stream: bytes queue here and go out one asynchronous write at a time (what queued while a
   * write was in flight goes out together in the next one), so {@link #send} never blocks.
   */
  private final class OpenStream implements Stream {
    private final Response response;
    private final Callback done;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private final List<Runnable> onClose = new ArrayList<>();
    private long queued;
    private boolean started;
    private boolean writing;
    private boolean closing;
    private boolean closed;

    OpenStream(Response response, Callback done) {
      this.response = response;
      this.done = done;
    }

    /** The route has returned: headers may go out, and with them what it queued. */
    void start() {
      synchronized (this) {
        started = true;
      }
      pump();
    }

    @Override
    public boolean send(byte[] bytes) {
      synchronized (this) {
        if (closed || closing) {
          return false;
        }
        // what waits behind the write in flight is bounded; one message alone always goes
        if (queued > 0 && queued + bytes.length > options.streamBacklogBytes) {
          slowStreams.incrementAndGet();
        } else {
          queue.addLast(bytes);
          queued += bytes.length;
          bytes = null;
        }
      }
      if (bytes != null) {
        fail(
            new IOException(
                "client too slow: over " + options.streamBacklogBytes + " bytes wait unsent"));
        return false;
      }
      pump();
      return true;
    }

    @Override
    public synchronized boolean isOpen() {
      return !closed && !closing;
    }

    @Override
    public void close() {
      synchronized (this) {
        if (closed || closing) {
          return;
        }
        closing = true;
      }
      pump();
    }

    @Override
    public void onClose(Runnable action) {
      synchronized (this) {
        if (!closed) {
          onClose.add(action);
          return;
        }
      }
      action.run();
    }

    /** Starts the next write when none is in flight. */
    private void pump() {
      ByteBuffer next;
      boolean last;
      synchronized (this) {
        if (!started || writing || closed) {
          return;
        }
        if (queue.isEmpty() && !closing) {
          return;
        }
        byte[] all = new byte[(int) queued];
        int at = 0;
        for (byte[] b : queue) {
          System.arraycopy(b, 0, all, at, b.length);
          at += b.length;
        }
        queue.clear();
        queued = 0;
        writing = true;
        last = closing;
        next = ByteBuffer.wrap(all);
      }
      response.write(
          last,
          next,
          new Callback() {
            @Override
            public void succeeded() {
              if (last) {
                finish(null);
                return;
              }
              synchronized (OpenStream.this) {
                writing = false;
              }
              pump();
            }

            @Override
            public void failed(Throwable x) {
              fail(x);
            }
          });
    }

    void fail(Throwable x) {
      finish(x == null ? new IOException("stream failed") : x);
    }

    private void finish(Throwable failure) {
      List<Runnable> actions;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        queue.clear();
        queued = 0;
        actions = List.copyOf(onClose);
        onClose.clear();
      }
      open.remove(this);
      if (failure == null) {
        done.succeeded();
      } else {
        LOG.debug("{}: stream closed: {}", options.name, failure.toString());
        done.failed(failure);
      }
      for (Runnable a : actions) {
        try {
          a.run();
        } catch (RuntimeException e) {
          LOG.warn("{}: stream close action failed", options.name, e);
        }
      }
    }
  }

  private final class Exchange implements HttpExchange {
    private final Request request;
    private final Optional<String> principal;

    Exchange(Request request, Optional<String> principal) {
      this.request = request;
      this.principal = principal;
    }

    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String rawPath() {
      return request.getHttpURI().getPath();
    }

    @Override
    public String rawQuery() {
      return request.getHttpURI().getQuery();
    }

    @Override
    public String header(String name) {
      return request.getHeaders().get(name);
    }

    @Override
    public Optional<String> principal() {
      return principal;
    }

    @Override
    public byte[] body() {
      int max = options.maxBodyBytes;
      long announced = request.getLength();
      if (announced > max) {
        throw new HttpError(
            413, "request body of " + announced + " bytes; at most " + max + " are accepted");
      }
      try (InputStream in = Content.Source.asInputStream(request)) {
        byte[] body = in.readNBytes(max + 1);
        if (body.length > max) {
          throw new HttpError(413, "request body over " + max + " bytes");
        }
        return body;
      } catch (IOException e) {
        throw new HttpError(400, "cannot read the request body: " + e.getMessage());
      }
    }
  }
}
