package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.stack.EmbeddedKafka;
import io.salientstream.stack.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --quick --config <admin client file>} against a {@code local --secure} stack (issue
 * 15: every command connects through the layered config): the demo starts no stack of its own, its
 * apps, watcher and dashboard connect over SASL_SSL with the file's credentials, its trainers get
 * the file (never the secrets on their command lines), and the four experiments run over the secure
 * broker and HTTPS registry.
 */
class SecureDemoTest {

  @Test
  void theQuickDemoRunsAgainstASecureLocalStackWithTheAdminClientFile(@TempDir Path dir)
      throws Exception {
    // no folder: free ports and a temporary data folder (another stack may hold 9092 on this host)
    try (LocalStack stack = LocalStack.builder().secure().build().start()) {
      Path kafkaDir = stack.kafka().folder();
      Path admin = dir.resolve("admin.properties");
      TenantCommand.writeAdminFile(
          admin,
          stack.kafka().adminClientProperties(),
          stack.registryUrl(),
          stack.kafka().caPem(),
          Files.readString(kafkaDir.resolve(EmbeddedKafka.ADMIN_PASSWORD_FILE)).trim());
      Path report = dir.resolve("demo.json");
      LauncherTest.Result r =
          LauncherTest.run(
              "demo",
              "--quick",
              "--config",
              admin.toString(),
              "--exit-at-end",
              "--dashboard-port",
              "0",
              "--work-dir",
              dir.resolve("work").toString(),
              "--report",
              report.toString());
      assertThat(r.rc()).as(r.err()).isZero();
      JsonNode experiments = new ObjectMapper().readTree(report.toFile()).get("experiments");
      assertThat(experiments).hasSize(4);
      for (JsonNode e : experiments) {
        assertThat(e.get("commandsApplied").asLong())
            .as(e.get("experimentId").asText())
            .isPositive();
      }
      // the trainers were given the file, not the secrets
      try (var logs = Files.list(dir.resolve("work").resolve("logs"))) {
        for (Path log : logs.toList()) {
          assertThat(Files.readString(log)).doesNotContain("password=").doesNotContain("admin:");
        }
      }
    }
  }
}
