package io.salientstream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayeredConfigTest {

  @TempDir Path tmp;

  @Test
  void defaultsApplyWhenNothingElseIsGiven() {
    LayeredConfig c = LayeredConfig.resolve(null, Map.of(), Map.of(), List.of());
    assertThat(c.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(c.registryUrl()).isEqualTo("http://localhost:8081");
    assertThat(c.originOf("bootstrap.servers")).isEqualTo("default");
  }

  @Test
  void precedenceIsDefaultsThenFileThenEnvironmentThenFlags() throws IOException {
    Path file = tmp.resolve("app.properties");
    Files.writeString(file, """
        bootstrap.servers=file:9092
        salientstream.registry.url=http://file:8081
        sasl.mechanism=PLAIN
        acks=all
        """);
    Map<String, String> env = Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", "env:9092",
        "KAFKA_SASL_MECHANISM", "SCRAM-SHA-256",
        "SALIENTSTREAM_TENANT", "team-a",
        "HOME", "/ignored");
    Map<String, String> flags = new HashMap<>();
    flags.put("bootstrap.servers", "flag:9092");
    flags.put(LayeredConfig.REGISTRY_URL, null); // a flag not given does not override

    LayeredConfig c = LayeredConfig.resolve(file, env, flags, List.of("acks=1", "linger.ms=5"));

    assertThat(c.bootstrapServers()).isEqualTo("flag:9092");
    assertThat(c.registryUrl()).isEqualTo("http://file:8081");
    assertThat(c.get("sasl.mechanism")).isEqualTo("SCRAM-SHA-256");
    assertThat(c.tenant()).isEqualTo("team-a");
    assertThat(c.kafkaProperties())
        .containsEntry("acks", "1")
        .containsEntry("linger.ms", "5")
        .containsEntry("bootstrap.servers", "flag:9092")
        .doesNotContainKey("salientstream.tenant")
        .doesNotContainKey("home");
    assertThat(c.serdeProperties()).containsEntry("schema.registry.url", "http://file:8081");
    assertThat(c.originOf("sasl.mechanism")).isEqualTo("env KAFKA_SASL_MECHANISM");
    assertThat(c.originOf("acks")).isEqualTo("flag --kafka-config");
  }

  @Test
  void badInputIsNamed() {
    assertThatThrownBy(() -> LayeredConfig.resolve(null, Map.of(), Map.of(), List.of("novalue")))
        .hasMessageContaining("--kafka-config expects key=value").hasMessageContaining("novalue");
    assertThatThrownBy(() -> LayeredConfig.resolve(tmp.resolve("missing.properties"), Map.of(), Map.of(), List.of()))
        .hasMessageContaining("missing.properties");
  }
}
