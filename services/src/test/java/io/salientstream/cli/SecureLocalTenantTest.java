package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.registry.SchemaRegistryException;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import io.salientstream.stack.EmbeddedKafka;
import io.salientstream.stack.LocalStack;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.LayeredConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code local --secure} as a {@link LocalStack} (this test JVM's one secure broker) and {@code
 * tenant create} through the services launcher: the role files it writes are all a client needs,
 * the registry wants authentication over HTTPS and confines each tenant to its subjects.
 */
class SecureLocalTenantTest {
  private static final Schema SCHEMA =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
  private static LocalStack stack;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    stack = LocalStack.builder().secure().build().start();
    Path admin = dir.resolve("admin.properties");
    TenantCommand.writeAdminFile(
        admin,
        stack.kafka().adminClientProperties(),
        stack.registryUrl(),
        stack.kafka().caPem(),
        Files.readString(stack.kafka().folder().resolve(EmbeddedKafka.ADMIN_PASSWORD_FILE)).trim());
    for (String tenant : List.of("a.", "b.")) {
      int rc =
          ServicesCli.commandLine()
              .execute(
                  "tenant",
                  "create",
                  "--config",
                  admin.toString(),
                  "--tenant",
                  tenant,
                  "--out",
                  dir.resolve("roles").toString(),
                  "--registry-users",
                  stack.registryUsersFile().toString());
      assertThat(rc).as("tenant create " + tenant).isZero();
    }
    stack.restartRegistry(); // reads the users file again
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private static LayeredConfig role(String user) {
    // the ephemeral registry came back on a new free port (`local` keeps its port): the flag
    // overrides the file, as --registry-url does
    return LayeredConfig.resolve(
        dir.resolve("roles").resolve(user + ".properties"),
        Map.of(),
        Map.of(LayeredConfig.REGISTRY_URL, stack.registryUrl()),
        List.of());
  }

  private static HttpSchemaRegistryClient registry(String user) {
    return new HttpSchemaRegistryClient(RegistryClientConfig.from(role(user).serdeProperties()));
  }

  @Test
  void roleFilesAreOwnerOnlyAndHoldEverythingAClientNeeds() throws Exception {
    Path file = dir.resolve("roles").resolve("a.trainer.properties");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(stack.registryUrl()).startsWith("https://");
    LayeredConfig trainer = role("a.trainer");
    assertThat(trainer.tenant()).isEqualTo("a.");
    Topics a = Topics.withPrefix("a.");
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(
            trainer.kafkaProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(a.name(Topics.SINGULAR_VALUES), new byte[] {1}, new byte[] {1}))
          .get(30, TimeUnit.SECONDS);
      assertThatThrownBy(
              () ->
                  p.send(
                          new ProducerRecord<>(
                              a.name(Topics.RANK_COMMANDS), new byte[] {1}, new byte[] {1}))
                      .get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(TopicAuthorizationException.class);
    }
  }

  @Test
  void theRegistryWantsAuthenticationAndConfinesTenantsToTheirSubjects() {
    // over TLS, trusting the CA, but without credentials
    HttpSchemaRegistryClient anonymous =
        new HttpSchemaRegistryClient(
            RegistryClientConfig.from(
                Map.of(
                    "schema.registry.url", stack.registryUrl(),
                    "schema.registry.ssl.truststore.type", "PEM",
                    "schema.registry.ssl.truststore.location", stack.kafka().caPem().toString())));
    assertThatThrownBy(() -> anonymous.register("a.x-value", SCHEMA))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));

    assertThat(registry("a.trainer").register("a.salientstream.singular-values.v1-value", SCHEMA))
        .isPositive();
    assertThatThrownBy(
            () ->
                registry("b.trainer").register("a.salientstream.singular-values.v1-value", SCHEMA))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(403));
    assertThatThrownBy(
            () ->
                registry("b.monitor").register("b.salientstream.singular-values.v1-value", SCHEMA))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(403));
    assertThat(registry("b.trainer").register("b.salientstream.singular-values.v1-value", SCHEMA))
        .isPositive();
  }
}
