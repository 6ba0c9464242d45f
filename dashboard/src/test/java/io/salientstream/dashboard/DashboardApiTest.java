package io.salientstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.http.HttpAuth;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The dashboard against the shared in-process broker and registry: records written to a tenant's
 * topics (one synthetic experiment with two window ends, and a dead letter) come out of the JSON
 * API and the live event stream; bad requests get a clear 4xx and the service keeps serving.
 */
@WithSharedStack
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_STREAMS = 4;

  private final HttpClient http = HttpClient.newHttpClient();
  private LoopTopics topics;
  private Map<String, Object> config;
  private KafkaProducer<String, Object> producer;
  private Dashboard dashboard;
  private SyntheticExperiment exp;
  private String base;

  @BeforeAll
  void start(SharedStack stack) throws Exception {
    String prefix = "dash-api-" + System.nanoTime() + ".";
    topics = LoopTopics.forPrefix(prefix);
    try (Admin admin = stack.admin()) {
      TopicInitializer.ensureTopics(admin, Topics.withPrefix(prefix), (short) 1);
    }
    config = stack.clientConfig();
    producer =
        new KafkaProducer<>(
            new HashMap<>(LayeredConfig.kafkaClientProperties(config)),
            new StringSerializer(),
            EventSerdes.anyValue(config));
    dashboard =
        Dashboard.start(
            config, topics, prefix, new Dashboard.Settings("127.0.0.1", 0, MAX_STREAMS));
    base = "http://127.0.0.1:" + dashboard.port();
    exp = new SyntheticExperiment("api-exp-1", 2, 4, 100, 10, 7);
    producer.send(new ProducerRecord<>(topics.experiments(), exp.id(), exp.spec()));
    long now = System.currentTimeMillis();
    for (long s = 0; s <= 20; s++) {
      send(s, now + s);
    }
    producer.send(new ProducerRecord<>(topics.deadLetters(), exp.id(), deadLetter()));
    producer.flush();
  }

  private void send(long s, long wallClock) {
    producer.send(new ProducerRecord<>(topics.singularValues(), exp.id(), exp.step(s, wallClock)));
    if (exp.isWindowEnd(s)) {
      List<Object> out = exp.windowEnd(s, wallClock + 5);
      producer.send(new ProducerRecord<>(topics.salienceReports(), exp.id(), out.get(0)));
      producer.send(new ProducerRecord<>(topics.rankCommands(), exp.id(), out.get(1)));
    }
    producer.send(
        new ProducerRecord<>(topics.trainerStatus(), exp.id(), exp.status(s, wallClock, 10)));
  }

  private DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setSourceTopic(topics.singularValues())
        .setSourcePartition(3)
        .setSourceOffset(42)
        .setOriginalKey(ByteBuffer.wrap(exp.id().getBytes(StandardCharsets.UTF_8)))
        .setOriginalValue(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setErrorClass("java.lang.IllegalArgumentException")
        .setErrorMessage("wrong magic byte 1 at offset 42")
        .setReason(DeadLetterReason.DESERIALIZATION)
        .setApplication("salience-analyzer")
        .setFailedAtMs(Instant.now())
        .build();
  }

  @AfterAll
  void stop() {
    if (dashboard != null) {
      dashboard.close();
    }
    if (producer != null) {
      producer.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  @Order(1)
  void theViewsFoldEveryTopic() throws Exception {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode list = json("/api/experiments").get("experiments");
              assertThat(list).hasSize(1);
              assertThat(list.get(0).get("step").asLong()).isEqualTo(20);
              assertThat(list.get(0).get("commands").asLong()).isEqualTo(2);
              assertThat(list.get(0).get("deadLetters").asLong()).isEqualTo(1);
              // the feed reads the topics in parallel: wait until the last record of each is in
              assertThat(list.get(0).get("createdAtMs").asLong()).isPositive();
              JsonNode curves = json("/api/experiments/" + exp.id()).get("curves");
              assertThat(curves.get("metric:accuracy").get(0)).hasSize(21);
              assertThat(curves.get("loss").get(0)).hasSize(21);
              assertThat(curves.get("window").get(0)).hasSize(2);
            });
    JsonNode d = json("/api/experiments/" + exp.id());
    JsonNode s = d.get("summary");
    assertThat(s.get("policy").asText()).isEqualTo("synthetic");
    assertThat(s.get("state").asText()).isEqualTo("RUNNING");
    assertThat(s.get("totalSteps").asLong()).isEqualTo(100);
    // one loss point per step; rank from the masks; a window length and a budget per window end
    assertThat(d.get("curves").get("loss").get(0)).hasSize(21);
    assertThat(d.get("curves").get("rank").get(0)).hasSize(21);
    assertThat(d.get("curves").get("window").get(0)).hasSize(2);
    assertThat(d.get("curves").get("budget").get(0)).hasSize(3); // initial + two window ends
    assertThat(d.get("curves").get("metric:accuracy").get(0)).hasSize(21);
    // heatmap: 2 layers x 6 matrices; the initial pattern and one per command, one value per matrix
    JsonNode layout = d.get("layout");
    assertThat(layout.get("layers")).hasSize(2);
    assertThat(layout.get("columns")).hasSize(6);
    assertThat(layout.get("columns").get(0).asText()).isEqualTo("query");
    assertThat(layout.get("cells")).hasSize(12);
    JsonNode heatmaps = d.get("heatmaps");
    assertThat(heatmaps).hasSize(3);
    assertThat(heatmaps.get(0).get("values").get(0).asInt()).isEqualTo(4);
    int sum = 0;
    for (JsonNode v : heatmaps.get(2).get("values")) {
      sum += v.asInt();
    }
    assertThat(sum).isEqualTo(d.get("commands").get(1).get("totalRank").asInt()).isLessThan(48);
    // salience histogram of the last window end, threshold marked
    JsonNode sal = d.get("salience");
    assertThat(sal.get("windowEndStep").asLong()).isEqualTo(20);
    assertThat(sal.get("threshold").isNumber()).isTrue();
    long counted = 0;
    for (JsonNode c : sal.get("counts")) {
      counted += c.asLong();
    }
    assertThat(counted).isEqualTo(48);
    // commands with provenance and a latency from the step event that closed the window
    JsonNode c = d.get("commands").get(0);
    assertThat(c.get("sequence").asLong()).isEqualTo(1);
    assertThat(c.get("windowEndStep").asLong()).isEqualTo(10);
    assertThat(c.get("codeVersion").asText()).isEqualTo("synthetic");
    assertThat(c.get("latencyMs").asDouble()).isEqualTo(5.0);
    assertThat(d.get("latenciesMs")).hasSize(2);
    // the dead letter, with its reason and source
    JsonNode dl = json("/api/dead-letters?experiment=" + exp.id()).get("deadLetters");
    assertThat(dl).hasSize(1);
    assertThat(dl.get(0).get("reason").asText()).isEqualTo("DESERIALIZATION");
    assertThat(dl.get(0).get("sourceOffset").asLong()).isEqualTo(42);
    assertThat(dl.get(0).get("message").asText()).contains("wrong magic byte");
    // comparison view and the list's filter and sort
    assertThat(json("/api/compare?ids=" + exp.id()).get("experiments")).hasSize(1);
    assertThat(json("/api/experiments?filter=nomatch").get("experiments")).isEmpty();
    assertThat(json("/api/experiments?sort=loss&order=desc&limit=5").get("experiments")).hasSize(1);
    // the page and the chart library come from inside the jar
    assertThat(get("/").body()).contains("/static/uPlot.iife.min.js");
    assertThat(get("/static/uPlot.iife.min.js").body()).contains("uPlot");
    assertThat(get("/metrics").body()).contains("salientstream_dashboard_records_total");
  }

  @Test
  @Order(2)
  void theLiveStreamCarriesNewSteps() throws Exception {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> json("/api/experiments").get("experiments").get(0).get("step").asLong() == 20);
    HttpResponse<InputStream> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/stream")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = in.readLine();
      } while (line != null && !line.startsWith("event: hello"));
      assertThat(line).isNotNull();
      long sentAt = System.currentTimeMillis();
      for (long s = 21; s <= 23; s++) {
        send(s, sentAt);
      }
      producer.flush();
      // the update events carry the new loss points of the experiment, as deltas
      List<Long> steps = new ArrayList<>();
      while (steps.size() < 3 && (line = in.readLine()) != null) {
        if (line.startsWith("data: ") && line.contains("\"points\"")) {
          JsonNode delta = JSON.readTree(line.substring(6));
          for (JsonNode e : delta.get("experiments")) {
            if (e.get("id").asText().equals(exp.id()) && e.get("points").has("loss")) {
              e.get("points").get("loss").get(0).forEach(x -> steps.add(x.asLong()));
              assertThat(e.get("summary").get("step").asLong()).isGreaterThanOrEqualTo(21);
            }
          }
        }
      }
      assertThat(steps).containsExactly(21L, 22L, 23L);
    }
  }

  @Test
  @Order(3)
  void badRequestsGetAClearStatusAndTheServiceKeepsServing() throws Exception {
    expect("/api/experiments/no-such-experiment", 404, "unknown experiment 'no-such-experiment'");
    expect("/api/experiments?limit=abc", 400, "query parameter 'limit': not an integer");
    expect("/api/experiments?limit=0", 400, "outside 1..10000");
    expect("/api/experiments?sort=bogus", 400, "query parameter 'sort': unknown key 'bogus'");
    expect("/api/experiments?order=up", 400, "query parameter 'order'");
    expect("/api/experiments?colour=red", 400, "unknown query parameter 'colour'");
    expect("/api/experiments?limit=1&limit=2", 400, "given twice");
    assertThat(rawStatusLine("/api/experiments?filter=%zz")).contains(" 400 ");
    expect("/api/experiments/" + exp.id() + "?points=999999", 400, "query parameter 'points'");
    expect("/api/compare", 400, "query parameter 'ids' is required");
    expect("/api/compare?ids=a,b,c,d,e,f,g,h,i", 400, "at most 8 experiments");
    expect("/api/compare?ids=" + exp.id() + ",ghost", 404, "unknown experiment 'ghost'");
    expect("/api/experiments/" + "x".repeat(300), 400, "experiment id must be");
    expect("/api/stream?x=1", 400, "takes none");
    expect("/nothing-here", 404, "no such path");
    expect("/?q=" + "a".repeat(3000), 400, "query longer than");
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/experiments"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(get("/health").statusCode()).isEqualTo(200);
    assertThat(json("/api/experiments").get("experiments")).isNotEmpty();
  }

  /** A request line the JDK's URI class would refuse to build, sent as bytes. */
  private String rawStatusLine(String target) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", dashboard.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
    }
  }

  private void expect(String path, int status, String message) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(r.body()).get("error").asText()).as(path).contains(message);
  }

  @Test
  @Order(4)
  void aBurstOfReconnectsIsRefusedBeyondTheLimitAndServedAfterwards() throws Exception {
    // 40 streams opened and dropped at once, as a page reloaded in a loop would
    for (int round = 0; round < 40; round++) {
      HttpResponse<InputStream> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/stream")).build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isIn(200, 503);
      r.body().close();
    }
    // with MAX_STREAMS held open, one more is refused with a clear status and Retry-After
    List<HttpResponse<InputStream>> held = new ArrayList<>();
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                HttpResponse<InputStream> r =
                    http.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/stream")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() == 200) {
                  held.add(r);
                } else {
                  r.body().close();
                }
                assertThat(held).hasSize(MAX_STREAMS);
              });
      HttpResponse<String> refused = get("/api/stream");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("2");
      assertThat(refused.body()).contains(MAX_STREAMS + " streams are open");
      assertThat(get("/health").statusCode()).isEqualTo(200);
    } finally {
      for (HttpResponse<InputStream> r : held) {
        r.body().close();
      }
    }
    // the dropped streams free their slots: a new page is served again
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              HttpResponse<InputStream> r =
                  http.send(
                      HttpRequest.newBuilder(URI.create(base + "/api/stream")).build(),
                      HttpResponse.BodyHandlers.ofInputStream());
              r.body().close();
              assertThat(r.statusCode()).isEqualTo(200);
            });
    assertThat(json("/api/experiments").get("experiments")).isNotEmpty();
  }

  @Test
  @Order(5)
  void refusedCommandsShowInTheListAndTheCommandLog() throws Exception {
    long now = System.currentTimeMillis();
    String first = "refused the record at t-rank-commands-0@17: stale epoch 0 (run epoch is 1)";
    String second = "refused the record at t-rank-commands-0@18: sequence 2 repeats an applied one";
    producer.send(refusing(30, now, 1, first));
    producer.send(refusing(31, now + 1, 2, second));
    producer.send(refusing(32, now + 2, 2, second)); // the same count again: no new entry
    producer.flush();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(json("/api/experiments").get("experiments").get(0).get("step").asLong())
                    .isEqualTo(32));
    JsonNode row = json("/api/experiments?sort=commandsRefused&order=desc").get("experiments");
    assertThat(row.get(0).get("commandsRefused").asLong()).isEqualTo(2);
    JsonNode d = json("/api/experiments/" + exp.id());
    JsonNode refusals = d.get("refusals");
    assertThat(refusals).hasSize(2);
    assertThat(refusals.get(0).get("refused").asLong()).isEqualTo(1);
    assertThat(refusals.get(0).get("step").asLong()).isEqualTo(30);
    assertThat(refusals.get(0).get("message").asText()).isEqualTo(first);
    assertThat(refusals.get(1).get("refused").asLong()).isEqualTo(2);
    assertThat(refusals.get(1).get("message").asText()).isEqualTo(second);
    // the count is not an evaluation metric: no curve for it
    assertThat(d.get("curves").has("metric:" + ExperimentView.COMMANDS_REFUSED)).isFalse();
    assertThat(d.get("curves").has("metric:accuracy")).isTrue();
  }

  /** A status as the trainer host sends it once it has refused {@code count} commands. */
  private ProducerRecord<String, Object> refusing(
      long step, long wallClock, long count, String message) {
    TrainerStatus s = exp.status(step, wallClock, 10);
    Map<String, Double> metrics = new HashMap<>(s.getMetrics());
    metrics.put(ExperimentView.COMMANDS_REFUSED, (double) count);
    return new ProducerRecord<>(
        topics.trainerStatus(),
        exp.id(),
        TrainerStatus.newBuilder(s).setMetrics(metrics).setMessage(message).build());
  }

  @Test
  @Order(6)
  void healthAnswersWithinOneSecondWhileFiftyHalfOpenConnectionsAreHeld() throws Exception {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        Socket s = new Socket("127.0.0.1", dashboard.port());
        s.getOutputStream()
            .write(
                "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
                    .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        slow.add(s);
      }
      for (int i = 0; i < 3; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/health"))
                    .timeout(Duration.ofSeconds(1))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
      }
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  /**
   * One page stops reading its event stream (a raw connection with a small receive buffer that
   * never reads) while a burst of dead letters (about 5 MB of updates) arrives; another page's
   * stream gets every one of them, each within 3 s of being produced, and the stalled stream is cut
   * off by the server (its connection ends before it got the whole burst).
   */
  @Test
  @Order(7)
  void aStalledEventStreamDoesNotDelayAnotherPage() throws Exception {
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("127.0.0.1", dashboard.port()));
      stalled
          .getOutputStream()
          .write(
              "GET /api/stream HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      // streams of earlier tests may still hold slots until the server notices they are gone
      HttpResponse<InputStream> r = null;
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (r == null && System.nanoTime() < deadline) {
        HttpResponse<InputStream> x =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/stream")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (x.statusCode() == 200) {
          r = x;
        } else {
          x.body().close();
          Thread.sleep(200);
        }
      }
      assertThat(r).as("a stream beside the stalled one").isNotNull();
      int burst = 6000;
      String filler = "y".repeat(480);
      Thread producing =
          new Thread(
              () -> {
                for (int i = 0; i < burst; i++) {
                  DeadLetter d = deadLetter();
                  d.setSourceOffset(1_000_000 + i);
                  d.setErrorMessage("burst " + i + " " + filler);
                  d.setFailedAtMs(Instant.now());
                  producer.send(new ProducerRecord<>(topics.deadLetters(), exp.id(), d));
                  if (i % 500 == 499) {
                    producer.flush();
                  }
                }
                producer.flush();
              });
      long maxDelayMs = 0;
      long readerBytes = 0;
      int seen = 0;
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        producing.start();
        String line;
        while (seen < burst && (line = in.readLine()) != null) {
          readerBytes += line.length() + 1;
          if (!line.startsWith("data: ") || !line.contains("burst ")) {
            continue;
          }
          long arrived = System.currentTimeMillis();
          for (JsonNode e : JSON.readTree(line.substring(6)).get("experiments")) {
            if (e.has("deadLetters")) {
              for (JsonNode dl : e.get("deadLetters")) {
                if (dl.get("message").asText().startsWith("burst ")) {
                  seen++;
                  maxDelayMs = Math.max(maxDelayMs, arrived - dl.get("failedAtMs").asLong());
                }
              }
            }
          }
        }
      }
      producing.join();
      assertThat(seen).isEqualTo(burst);
      assertThat(maxDelayMs).as("slowest dead letter to the reading page, ms").isLessThan(3000);
      // the server gave up on the stalled page: its reply ends short of the burst
      // read what the stalled page was sent, for at most 30 s: the server's pings would keep a
      // connection it did not close alive for ever
      stalled.setSoTimeout(1_000);
      long got = 0;
      boolean closedByServer = false;
      InputStream sin = stalled.getInputStream();
      byte[] buf = new byte[65536];
      long readUntil = System.nanoTime() + 30_000_000_000L;
      while (!closedByServer && System.nanoTime() < readUntil) {
        try {
          int n = sin.read(buf);
          if (n < 0) {
            closedByServer = true;
          } else {
            got += n;
          }
        } catch (SocketTimeoutException quiet) {
          // nothing for a second: keep waiting until the deadline
        }
      }
      assertThat(closedByServer).as("the server closed the stalled page's stream").isTrue();
      assertThat(got).as("bytes the stalled page got").isLessThan(readerBytes);
      System.out.println(
          "stalled page got "
              + got
              + " bytes before the server closed it, the reading page "
              + readerBytes
              + "; slowest dead letter to the reading page "
              + maxDelayMs
              + " ms");
    }
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  /**
   * With a token the page itself needs it too: a browser gets a Basic challenge, asks once and
   * sends any user name with the token as password on every request (the event stream included);
   * scripts send it as a bearer token; /health stays open.
   */
  @Test
  @Order(8)
  void withATokenEveryPathButHealthNeedsItAsBasicPasswordOrBearer() throws Exception {
    try (Dashboard guarded =
        Dashboard.start(
            config,
            topics,
            "dash-api-guarded.",
            new Dashboard.Settings(
                "127.0.0.1", 0, 2, HttpAuth.tokenForBrowsers("dashboard", "viewer", "s3cret")))) {
      String url = "http://127.0.0.1:" + guarded.port();
      HttpResponse<String> page = send(url + "/", null);
      assertThat(page.statusCode()).isEqualTo(401);
      assertThat(page.headers().firstValue("WWW-Authenticate"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"dashboard\""));
      assertThat(send(url + "/api/experiments", null).statusCode()).isEqualTo(401);
      String basic =
          "Basic "
              + Base64.getEncoder()
                  .encodeToString("anyone:s3cret".getBytes(StandardCharsets.UTF_8));
      String wrong =
          "Basic "
              + Base64.getEncoder().encodeToString("anyone:guess".getBytes(StandardCharsets.UTF_8));
      assertThat(send(url + "/", basic).body()).contains("/static/uPlot.iife.min.js");
      assertThat(send(url + "/static/app.js", basic).statusCode()).isEqualTo(200);
      assertThat(send(url + "/", wrong).statusCode()).isEqualTo(401);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          JSON.readTree(send(url + "/api/experiments", "Bearer s3cret").body())
                              .get("experiments"))
                      .isNotEmpty());
      assertThat(send(url + "/health", null).statusCode()).isEqualTo(200);
      assertThat(send(url + "/api/stream", null).statusCode()).isEqualTo(401);
      HttpResponse<InputStream> stream =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/api/stream"))
                  .header("Authorization", basic)
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(in.readLine()).isEqualTo("retry: 2000");
        assertThat(in.readLine()).isEqualTo("event: hello");
      }
    }
  }

  private HttpResponse<String> send(String url, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
