package io.salientstream.pruner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.http.HttpAuth;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.OpsHttp;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pruner on the real broker and registry, queried over its HTTP endpoint. */
@WithSharedStack
class PrunerHttpTest {

  @Test
  void ranksHealthAndMetricsAreServed(SharedStack stack, @TempDir Path state) throws Exception {
    Map<String, Object> config = stack.clientConfig();
    Topics t = Topics.withPrefix("");
    PrunerTopology.Topics topics =
        new PrunerTopology.Topics(
            t.name(Topics.EXPERIMENTS),
            t.name(Topics.SALIENCE_REPORTS),
            t.name(Topics.RANK_COMMANDS),
            t.name(Topics.DEAD_LETTER));
    String id = "http-" + System.nanoTime();
    HttpClient http = HttpClient.newHttpClient();
    try (Pruner pruner = Pruner.start(config, topics, state, "pruner-http-test", "test");
        PrunerHttp server = new PrunerHttp(pruner, 0, config, topics.experiments());
        KafkaProducer<String, Object> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(),
                EventSerdes.anyValue(config))) {
      String base = "http://localhost:" + server.port();
      assertThat(get(http, base + "/health").statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/experiments/" + id + "/ranks").statusCode()).isEqualTo(404);

      producer
          .send(new ProducerRecord<>(topics.experiments(), id, PrunerTopologyTest.spec(id)))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  topics.salienceReports(),
                  id,
                  PrunerTopologyTest.report(id, 1, 20, true, false, false, true, true, true)))
          .get();

      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(http, base + "/experiments/" + id + "/ranks").statusCode() == 200);
      JsonNode ranks =
          new ObjectMapper().readTree(get(http, base + "/experiments/" + id + "/ranks").body());
      assertThat(ranks.get("totalRank").asInt()).isEqualTo(4);
      assertThat(ranks.get("decidedAtStep").asLong()).isEqualTo(20);
      // issue 15: nothing that addresses a command to the run
      assertThat(ranks.has("runId")).isFalse();
      assertThat(ranks.has("epoch")).isFalse();
      assertThat(ranks.has("sequence")).isFalse();
      assertThat(ranks.get("ranks").get("q").asInt()).isEqualTo(1);
      assertThat(ranks.get("ranks").get("v").asInt()).isEqualTo(3);

      // the pattern is in the store (and served) a moment before the processor counts the command
      // it sends
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  get(http, base + "/metrics")
                      .body()
                      .contains("salientstream_pruner_commands_total 1.0"));
      String metrics = get(http, base + "/metrics").body();
      assertThat(metrics).contains("kafka_stream");
      assertThat(get(http, base + "/nothing-here").statusCode()).isEqualTo(404);

      // hardening (issue 15): exact paths, errors that do not echo long ids, half-open
      // connections that block nothing, optional bearer token on everything but /health
      assertThat(get(http, base + "/healthXYZ").statusCode()).isEqualTo(404);
      HttpResponse<String> longId = get(http, base + "/experiments/" + "x".repeat(6000) + "/ranks");
      assertThat(longId.statusCode()).isEqualTo(404);
      assertThat(longId.body().length()).isLessThan(400);
      List<Socket> slow = halfOpen(server.port(), 50);
      try {
        for (String path : List.of("/health", "/metrics", "/experiments/" + id + "/ranks")) {
          long t0 = System.nanoTime();
          assertThat(get(http, base + path).statusCode()).as(path).isEqualTo(200);
          assertThat(Duration.ofNanos(System.nanoTime() - t0))
              .as(path)
              .isLessThan(Duration.ofSeconds(1));
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
      try (PrunerHttp guarded =
          new PrunerHttp(
              pruner,
              new OpsHttp.Settings("localhost", 0, HttpAuth.bearer("ops", "t0ken")),
              config,
              topics.experiments())) {
        String g = "http://localhost:" + guarded.port();
        assertThat(get(http, g + "/health").statusCode()).isEqualTo(200);
        assertThat(get(http, g + "/metrics").statusCode()).isEqualTo(401);
        assertThat(get(http, g + "/experiments/" + id + "/ranks").statusCode()).isEqualTo(401);
        HttpResponse<String> authed =
            http.send(
                HttpRequest.newBuilder(URI.create(g + "/experiments/" + id + "/ranks"))
                    .header("Authorization", "Bearer t0ken")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(authed.statusCode()).isEqualTo(200);
      }
    }
  }

  /** {@code n} connections that send the start of a request and then nothing (slowloris). */
  static List<Socket> halfOpen(int port, int n) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = new Socket("localhost", port);
      s.getOutputStream()
          .write("GET /health HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      sockets.add(s);
    }
    return sockets;
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
