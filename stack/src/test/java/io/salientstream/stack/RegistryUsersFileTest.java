package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.registry.server.SchemaRegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry users file: good lines are read, a bad one is named without echoing it. */
class RegistryUsersFileTest {

  @Test
  void aBadLineIsNamedWithoutItsPassword(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("users");
    Files.writeString(
        file,
        "# comment\nadmin ADMIN * pw-one\n\na.trainer WRITE a. pw-two\nb.x OWNER b. s3cr3t\n");
    assertThatThrownBy(() -> RegistryService.readUsers(file, SchemaRegistryServer.builder(null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 5")
        .hasMessageContaining("READ|WRITE|ADMIN")
        .hasMessageNotContaining("s3cr3t");
    Files.writeString(file, "admin ADMIN * pw-one\na.trainer WRITE a. pw-two\n");
    assertThatCode(() -> RegistryService.readUsers(file, SchemaRegistryServer.builder(null)))
        .doesNotThrowAnyException();
  }
}
