package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.streams.OpsHttp;
import io.salientstream.streams.StreamsApp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream thread that fails on every record (the probe: the analyzer with its registry gone, 600
 * stack-trace lines in 90 s) is replaced after a pause, and {@code GET /health} says DOWN with the
 * reason meanwhile (real broker; the doubling of the pause: {@code StreamThreadBackoffTest}).
 */
@WithSharedStack
class StreamThreadFailureTest {

  @Test
  void failingThreadsBackOffAndHealthSaysDownWithTheReason(SharedStack stack, @TempDir Path state)
      throws Exception {
    String topic = "stf-" + System.nanoTime();
    stack.admin().createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    StreamsBuilder b = new StreamsBuilder();
    b.stream(topic, Consumed.with(Serdes.String(), Serdes.String()))
        .foreach(
            (k, v) -> {
              throw new IllegalStateException(
                  "schema registry at http://localhost:1 does not answer");
            });
    Properties config =
        StreamsApp.config(
            "stf-app-" + System.nanoTime(),
            state,
            Map.of("bootstrap.servers", stack.bootstrapServers()));
    try (StreamsApp app = StreamsApp.start("stf", b.build(), config, Duration.ofSeconds(60));
        OpsHttp http = new OpsHttp("stf-http", app, 0, r -> {}, Map.of());
        KafkaProducer<String, String> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(),
                new StringSerializer())) {
      assertThat(health(http).statusCode()).isEqualTo(200);
      producer.send(new ProducerRecord<>(topic, "k", "poison")).get();
      long t0 = System.nanoTime();
      await().atMost(Duration.ofSeconds(60)).until(() -> app.streamThreadFailures() >= 1);
      HttpResponse<String> down = health(http);
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.body())
          .contains("\"status\":\"DOWN\"")
          .contains("stream thread failed")
          .contains("schema registry at http://localhost:1 does not answer");
      // the replaced thread fails again on the same record; pauses of 1, 2, 4 s ... (capped at 30
      // s) bound the retries: at most 4 within the first seconds (StreamThreadBackoffTest: the
      // pauses)
      Thread.sleep(3_000);
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(app.streamThreadFailures()).as("failures in %.1f s", seconds).isBetween(1L, 4L);
      assertThat(app.isHealthy()).isFalse();
      assertThat(health(http).statusCode()).isEqualTo(503);
    }
  }

  private static HttpResponse<String> health(OpsHttp http) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + http.port() + "/health"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
