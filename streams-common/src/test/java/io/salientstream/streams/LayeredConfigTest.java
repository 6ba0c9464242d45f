package io.salientstream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
    Files.writeString(
        file,
        """
        bootstrap.servers=file:9092
        salientstream.registry.url=http://file:8081
        sasl.mechanism=PLAIN
        acks=all
        """);
    Map<String, String> env =
        Map.of(
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
        .hasMessageContaining("--kafka-config expects key=value")
        .hasMessageContaining("novalue");
    assertThatThrownBy(
            () ->
                LayeredConfig.resolve(
                    tmp.resolve("missing.properties"), Map.of(), Map.of(), List.of()))
        .hasMessageContaining("missing.properties");
  }

  @Test
  void everySettingResolvesFromEachLayerAndIsCheckedOnce() throws IOException {
    for (LayeredConfig.Setting setting : LayeredConfig.SETTINGS) {
      String key = setting.key();
      String value =
          key.equals(LayeredConfig.REGISTRY_URL)
              ? "http://x:1"
              : key.equals(LayeredConfig.TENANT) ? "t1." : "7";
      Path file = tmp.resolve("s.properties");
      Files.writeString(file, key + "=" + value + "\n");
      LayeredConfig fromFile = LayeredConfig.resolve(file, Map.of(), Map.of(), List.of());
      assertThat(fromFile.get(key)).as(key).isEqualTo(value);
      LayeredConfig fromEnv =
          LayeredConfig.resolve(null, Map.of(setting.envName(), value), Map.of(), List.of());
      assertThat(fromEnv.get(key)).as(setting.envName()).isEqualTo(value);
      assertThat(fromEnv.originOf(key)).isEqualTo("env " + setting.envName());
      assertThat(LayeredConfig.resolve(null, Map.of(), Map.of(), List.of()).get(key))
          .isEqualTo(setting.defaultValue());
    }
    assertThat(LayeredConfig.resolve(null, Map.of(), Map.of(), List.of()).resumeSnapshots())
        .isEqualTo(1);
    assertThat(
            LayeredConfig.resolve(
                    null, Map.of("SALIENTSTREAM_SYNC_TIMEOUT_SECONDS", "9"), Map.of(), List.of())
                .syncTimeoutSeconds())
        .isEqualTo(9);
  }

  @Test
  void unknownOrInvalidSettingsAreRefusedNamingTheirOrigin() throws IOException {
    Path file = tmp.resolve("typo.properties");
    Files.writeString(file, "salientstream.analyser.resume-snapshots=2\n");
    assertThatThrownBy(() -> LayeredConfig.resolve(file, Map.of(), Map.of(), List.of()))
        .hasMessageContaining("salientstream.analyser.resume-snapshots")
        .hasMessageContaining("file typo.properties")
        .hasMessageContaining(LayeredConfig.RESUME_SNAPSHOTS);
    assertThatThrownBy(
            () ->
                LayeredConfig.resolve(
                    null, Map.of("SALIENTSTREAM_RESUME", "2"), Map.of(), List.of()))
        .hasMessageContaining("SALIENTSTREAM_RESUME");
    assertThatThrownBy(
            () ->
                LayeredConfig.resolve(
                    null,
                    Map.of(),
                    Map.of(LayeredConfig.REGISTRY_URL, "localhost:8081"),
                    List.of()))
        .hasMessageContaining("http://")
        .hasMessageContaining("flag");
    assertThatThrownBy(
            () ->
                LayeredConfig.resolve(
                    null, Map.of(), Map.of(), List.of(LayeredConfig.RESUME_SNAPSHOTS + "=x")))
        .hasMessageContaining("'x'")
        .hasMessageContaining("--kafka-config");
  }

  /**
   * Kafka clients get neither registry client settings (basic auth, TLS) nor SalientStream's; the
   * serdes get both.
   */
  @Test
  void kafkaClientsGetOnlyKafkaProperties() throws IOException {
    Path file = tmp.resolve("auth.properties");
    Files.writeString(
        file,
        """
        basic.auth.credentials.source=USER_INFO
        basic.auth.user.info=u:p
        schema.registry.ssl.truststore.location=/x
        security.protocol=SASL_SSL
        salientstream.analyzer.resume-snapshots=2
        """);
    LayeredConfig c = LayeredConfig.resolve(file, Map.of(), Map.of(), List.of());
    assertThat(c.kafkaProperties())
        .containsEntry("security.protocol", "SASL_SSL")
        .doesNotContainKeys(
            "basic.auth.credentials.source",
            "basic.auth.user.info",
            "schema.registry.ssl.truststore.location",
            LayeredConfig.RESUME_SNAPSHOTS);
    assertThat(c.serdeProperties())
        .containsEntry("basic.auth.user.info", "u:p")
        .containsEntry("schema.registry.url", "http://localhost:8081")
        .containsEntry(LayeredConfig.RESUME_SNAPSHOTS, "2");
    assertThat(LayeredConfig.kafkaClientProperties(c.serdeProperties()))
        .isEqualTo(c.kafkaProperties());
    assertThat(LayeredConfig.resumeSnapshots(c.serdeProperties())).isEqualTo(2);
  }

  @Test
  void secretsAreRefusedOnTheCommandLine() {
    for (String kv :
        List.of(
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "ssl.truststore.password=s3cr3t-pw",
            "basic.auth.user.info=user:s3cr3t-pw")) {
      assertThatThrownBy(() -> LayeredConfig.resolve(null, Map.of(), Map.of(), List.of(kv)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("secret on the command line")
          .hasMessageNotContaining(kv.substring(kv.indexOf('=') + 1));
    }
    // the same keys from the environment are fine
    LayeredConfig c =
        LayeredConfig.resolve(
            null, Map.of("KAFKA_SASL_JAAS_CONFIG", "x required;"), Map.of(), List.of());
    assertThat(c.kafkaProperties()).containsEntry("sasl.jaas.config", "x required;");
  }

  @Test
  void theHttpTokenIsReadFromItsFileTrimmedAndAnEmptyOneIsRefused() throws IOException {
    LayeredConfig none = LayeredConfig.resolve(null, Map.of(), Map.of(), List.of());
    assertThat(none.httpToken()).isEmpty();
    assertThat(none.httpHost()).isEqualTo("localhost");
    assertThat(none.httpSettings(0).auth()).isNull();
    Path token = tmp.resolve("token.txt");
    Files.writeString(token, "  s3cret\n");
    LayeredConfig c =
        LayeredConfig.resolve(
            null,
            Map.of(
                "SALIENTSTREAM_HTTP_TOKEN_FILE",
                token.toString(),
                "SALIENTSTREAM_HTTP_HOST",
                "0.0.0.0"),
            Map.of(),
            List.of());
    assertThat(c.httpToken()).hasValue("s3cret");
    assertThat(c.httpHost()).isEqualTo("0.0.0.0");
    assertThat(c.httpSettings(0).auth().authenticate("Bearer s3cret")).hasValue("ops");
    Files.writeString(token, " \n");
    assertThatThrownBy(c::httpToken)
        .hasMessageContaining(LayeredConfig.HTTP_TOKEN_FILE)
        .hasMessageContaining("is empty");
  }

  @Test
  void idleRetentionAndGraceComeFromTheAppsConfigAndAreBoundedAndNamed() {
    assertThat(LayeredConfig.idleRetention(Map.of())).isEqualTo(Duration.ofDays(7));
    assertThat(LayeredConfig.grace(Map.of())).isEqualTo(Duration.ofSeconds(30));
    assertThat(LayeredConfig.idleRetention(Map.of(LayeredConfig.IDLE_RETENTION_SECONDS, "180")))
        .isEqualTo(Duration.ofMinutes(3));
    assertThat(LayeredConfig.grace(Map.of(LayeredConfig.GRACE_SECONDS, " 3 ")))
        .isEqualTo(Duration.ofSeconds(3));
    for (String bad : List.of("0", "-5", "x", "315360001", "")) {
      assertThatThrownBy(
              () -> LayeredConfig.idleRetention(Map.of(LayeredConfig.IDLE_RETENTION_SECONDS, bad)))
          .hasMessageContaining(LayeredConfig.IDLE_RETENTION_SECONDS)
          .hasMessageContaining("'" + bad + "'");
    }
    for (String bad : List.of("0", "3601", "1.5")) {
      assertThatThrownBy(() -> LayeredConfig.grace(Map.of(LayeredConfig.GRACE_SECONDS, bad)))
          .hasMessageContaining(LayeredConfig.GRACE_SECONDS)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void aShortIdleRetentionIsCheckedAQuarterOfItAtATime() {
    assertThat(ExperimentInputProcessor.idleCheckEvery(Duration.ofDays(7)))
        .isEqualTo(Duration.ofMinutes(1));
    assertThat(ExperimentInputProcessor.idleCheckEvery(Duration.ofMinutes(3)))
        .isEqualTo(Duration.ofSeconds(45));
    assertThat(ExperimentInputProcessor.idleCheckEvery(Duration.ofSeconds(2)))
        .isEqualTo(Duration.ofSeconds(1));
  }
}
