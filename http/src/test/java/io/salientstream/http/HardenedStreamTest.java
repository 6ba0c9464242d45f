package io.salientstream.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.http.HardenedHttpServer.Reply;
import io.salientstream.http.HardenedHttpServer.Stream;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Stream replies of {@link HardenedHttpServer}: the cap, and a client that stops reading. */
class HardenedStreamTest {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final List<Stream> streams = new CopyOnWriteArrayList<>();

  private HardenedHttpServer.Builder server() {
    return HardenedHttpServer.builder(
        "t",
        ex ->
            ex.rawPath().equals("/health")
                ? Reply.text(200, "text/plain", "UP")
                : Reply.text(404, "text/plain", "no"))
        .stream(
            "/events",
            "text/event-stream; charset=utf-8",
            (ex, s) -> {
              if (ex.rawQuery() != null) {
                throw new HttpError(400, "no query, please");
              }
              s.send("event: hello\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
              streams.add(s);
              s.onClose(() -> streams.remove(s));
            });
  }

  private static HttpResponse<InputStream> open(String url) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  @Test
  void streamsBeyondTheCapAreRefusedAndARefusedRequestOpensNone() throws Exception {
    try (HardenedHttpServer server = server().maxStreams(2).start()) {
      HttpResponse<InputStream> bad = open(server.url() + "/events?x=1");
      assertThat(bad.statusCode()).isEqualTo(400);
      bad.body().close();
      HttpResponse<InputStream> a = open(server.url() + "/events");
      HttpResponse<InputStream> b = open(server.url() + "/events");
      assertThat(a.statusCode()).isEqualTo(200);
      assertThat(a.headers().firstValue("Content-Type"))
          .hasValue("text/event-stream; charset=utf-8");
      assertThat(b.statusCode()).isEqualTo(200);
      HttpResponse<String> third =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create(server.url() + "/events")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(third.headers().firstValue("Retry-After")).hasValue("2");
      assertThat(server.openStreams()).isEqualTo(2);
      assertThat(server.refusedStreams()).isEqualTo(1);
      // a stream the server closes ends its reply cleanly, after what was queued
      Stream first = streams.get(0);
      first.send("data: bye\n\n".getBytes(StandardCharsets.UTF_8));
      first.close();
      String all = new String(a.body().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(all).isEqualTo("event: hello\ndata: {}\n\ndata: bye\n\n");
      assertThat(first.send(new byte[1])).isFalse();
      assertThat(server.openStreams()).isEqualTo(1);
      b.body().close();
    }
  }

  /**
   * One client opens the stream and never reads; the sender pushes 16 KiB every 10 ms to every
   * stream. The reading client gets every chunk, each within a second of being sent, and the
   * stalled one is closed once its backlog passes the limit.
   */
  @Test
  void aClientThatStopsReadingDelaysNoOtherAndIsClosed() throws Exception {
    try (HardenedHttpServer server = server().streamBacklogBytes(512 * 1024).start();
        Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("localhost", server.port()));
      stalled
          .getOutputStream()
          .write(
              "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (streams.size() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(streams).hasSize(1);
      HttpResponse<InputStream> reader = open(server.url() + "/events");
      assertThat(streams).hasSize(2);
      List<Long> delaysMs = new ArrayList<>();
      int chunks = 400; // 6.4 MB in all: far beyond what socket buffers hold
      Thread sender =
          new Thread(
              () -> {
                for (int i = 0; i < chunks; i++) {
                  byte[] chunk = new byte[16 * 1024];
                  Arrays.fill(chunk, (byte) 'x');
                  byte[] head =
                      ("data: " + System.nanoTime() + " ").getBytes(StandardCharsets.US_ASCII);
                  System.arraycopy(head, 0, chunk, 0, head.length);
                  chunk[chunk.length - 2] = '\n';
                  chunk[chunk.length - 1] = '\n';
                  for (Stream s : streams) {
                    s.send(chunk);
                  }
                  try {
                    Thread.sleep(10);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sender.start();
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(reader.body(), StandardCharsets.US_ASCII))) {
        String line;
        while (delaysMs.size() < chunks && (line = in.readLine()) != null) {
          if (line.startsWith("data: ") && !line.startsWith("data: {}")) {
            long sent = Long.parseLong(line.substring(6, line.indexOf(' ', 6)));
            delaysMs.add((System.nanoTime() - sent) / 1_000_000);
          }
        }
      }
      sender.join();
      assertThat(delaysMs).hasSize(chunks);
      assertThat(delaysMs.stream().mapToLong(Long::longValue).max().getAsLong())
          .as("slowest chunk to the reading client, ms")
          .isLessThan(1000);
      assertThat(server.slowStreamsClosed()).isEqualTo(1);
      assertThat(server.openStreams()).as("the reading client's stream only").isEqualTo(1);
      // the stalled client sees its reply cut short: the server closed the connection
      stalled.setSoTimeout(5_000);
      assertThat(stalled.getInputStream().readAllBytes().length).isLessThan(chunks * 16 * 1024);
      HttpResponse<String> health =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create(server.url() + "/health"))
                  .timeout(Duration.ofSeconds(1))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    }
  }
}
