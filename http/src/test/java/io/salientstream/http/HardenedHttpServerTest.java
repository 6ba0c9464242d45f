package io.salientstream.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.http.HardenedHttpServer.Reply;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HardenedHttpServerTest {

  static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /** The largest body the route was handed. */
  static final AtomicInteger largestBody = new AtomicInteger();

  static HardenedHttpServer.Route echoLength =
      ex ->
          switch (ex.rawPath()) {
            case "/health" -> Reply.text(200, "text/plain", "UP");
            case "/body" -> {
              int n = ex.body().length;
              largestBody.accumulateAndGet(n, Math::max);
              yield Reply.text(200, "text/plain", String.valueOf(n));
            }
            case "/who" -> Reply.text(200, "text/plain", ex.principal().orElse("nobody"));
            default -> throw new HttpError(404, "no such resource: " + ex.rawPath());
          };

  static HttpResponse<String> get(String url, String... headers) throws Exception {
    // a generous client timeout: the tests that promise a time measure it themselves
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Opens {@code n} connections that send the start of a request and then nothing more (a slowloris
   * client).
   */
  public static List<Socket> halfOpen(int port, int n) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = new Socket("localhost", port);
      OutputStream out = s.getOutputStream();
      out.write(
          "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.UTF_8));
      out.flush();
      sockets.add(s);
    }
    return sockets;
  }

  @Test
  void healthAnswersWithinOneSecondWhileFiftyHalfOpenConnectionsAreHeld() throws Exception {
    try (HardenedHttpServer server = HardenedHttpServer.builder("t", echoLength).start()) {
      List<Socket> slow = halfOpen(server.port(), 50);
      try {
        for (int i = 0; i < 3; i++) {
          long t0 = System.nanoTime();
          HttpResponse<String> r = get(server.url() + "/health");
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }

  @Test
  void aConnectionStuckInItsHeadersIsClosedAfterTheIdleTimeout() throws Exception {
    try (HardenedHttpServer server =
        HardenedHttpServer.builder("t", echoLength).idleTimeout(Duration.ofMillis(300)).start()) {
      try (Socket s = halfOpen(server.port(), 1).get(0)) {
        s.setSoTimeout(5_000);
        InputStream in = s.getInputStream();
        long t0 = System.nanoTime();
        while (in.read() >= 0) {
          // whatever the server says before closing
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
      }
    }
  }

  @Test
  void pathsAreExactAndErrorsDoNotEchoLongInput() throws Exception {
    try (HardenedHttpServer server = HardenedHttpServer.builder("t", echoLength).start()) {
      assertThat(get(server.url() + "/health").statusCode()).isEqualTo(200);
      assertThat(get(server.url() + "/healthXYZ").statusCode()).isEqualTo(404);
      String longId = "x".repeat(6000);
      HttpResponse<String> r = get(server.url() + "/" + longId);
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.body().length()).isLessThan(HardenedHttpServer.MAX_ECHO + 100);
      assertThat(r.body()).contains("(6019 characters)");
      // a request line or headers over the limit are refused outright
      assertThat(get(server.url() + "/" + "y".repeat(20_000)).statusCode()).isEqualTo(414);
      assertThat(get(server.url() + "/health", "X-Big", "z".repeat(20_000)).statusCode())
          .isEqualTo(431);
    }
  }

  @Test
  void bodiesOverTheLimitAreRefusedAnnouncedOrNot() throws Exception {
    try (HardenedHttpServer server =
        HardenedHttpServer.builder("t", echoLength).maxBodyBytes(1000).start()) {
      HttpResponse<String> ok =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create(server.url() + "/body"))
                  .POST(HttpRequest.BodyPublishers.ofString("a".repeat(1000)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ok.body()).isEqualTo("1000");
      HttpResponse<String> announced =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create(server.url() + "/body"))
                  .POST(HttpRequest.BodyPublishers.ofString("a".repeat(1001)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(announced.statusCode()).isEqualTo(413);
      // chunked: no Content-Length, the limit is enforced while reading. The server answers 413 and
      // closes while the client is still sending, so the client sees either the 413 or the closed
      // connection (a race of the two); either way the body never reaches the route.
      byte[] big = new byte[5_000_000];
      try {
        HttpResponse<String> chunked =
            CLIENT.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/body"))
                    .POST(
                        HttpRequest.BodyPublishers.ofInputStream(
                            () -> new ByteArrayInputStream(big)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
      } catch (IOException closedWhileSending) {
        // the refusal arrived as a closed connection
      }
      assertThat(largestBody.get()).isEqualTo(1000);
      assertThat(get(server.url() + "/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void bearerAndBasicAuthenticationGuardEverythingButHealth() throws Exception {
    try (HardenedHttpServer server =
        HardenedHttpServer.builder("t", echoLength).auth(HttpAuth.bearer("ops", "t0ken")).start()) {
      assertThat(get(server.url() + "/health").statusCode()).isEqualTo(200);
      HttpResponse<String> none = get(server.url() + "/who");
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
      assertThat(get(server.url() + "/who", "Authorization", "Bearer wrong").statusCode())
          .isEqualTo(401);
      HttpResponse<String> ok = get(server.url() + "/who", "Authorization", "Bearer t0ken");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("ops");
    }
    try (HardenedHttpServer server =
        HardenedHttpServer.builder("t", echoLength)
            .auth(HttpAuth.basic("test", Map.of("alice", "pw1", "bob", "pw2")))
            .start()) {
      String bob = Base64.getEncoder().encodeToString("bob:pw2".getBytes(StandardCharsets.UTF_8));
      String wrong = Base64.getEncoder().encodeToString("bob:pw1".getBytes(StandardCharsets.UTF_8));
      assertThat(get(server.url() + "/who", "Authorization", "Basic " + bob).body())
          .isEqualTo("bob");
      assertThat(get(server.url() + "/who", "Authorization", "Basic " + wrong).statusCode())
          .isEqualTo(401);
    }
  }

  @Test
  void aTokenForBrowsersIsTakenAsBearerOrAsABasicPassword() throws Exception {
    try (HardenedHttpServer server =
        HardenedHttpServer.builder("t", echoLength)
            .auth(HttpAuth.tokenForBrowsers("dash", "viewer", "t0ken"))
            .start()) {
      HttpResponse<String> none = get(server.url() + "/who");
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("WWW-Authenticate"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"dash\""));
      String any =
          Base64.getEncoder().encodeToString("anyone:t0ken".getBytes(StandardCharsets.UTF_8));
      String wrong =
          Base64.getEncoder().encodeToString("anyone:t0ke".getBytes(StandardCharsets.UTF_8));
      String noColon = Base64.getEncoder().encodeToString("t0ken".getBytes(StandardCharsets.UTF_8));
      assertThat(get(server.url() + "/who", "Authorization", "Basic " + any).body())
          .isEqualTo("viewer");
      assertThat(get(server.url() + "/who", "Authorization", "Bearer t0ken").body())
          .isEqualTo("viewer");
      assertThat(get(server.url() + "/who", "Authorization", "Basic " + wrong).statusCode())
          .isEqualTo(401);
      assertThat(get(server.url() + "/who", "Authorization", "Basic " + noColon).statusCode())
          .isEqualTo(401);
      assertThat(get(server.url() + "/who", "Authorization", "Basic %%%").statusCode())
          .isEqualTo(401);
      assertThat(get(server.url() + "/health").statusCode()).isEqualTo(200);
    }
  }
}
