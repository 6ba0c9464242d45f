package io.salientstream.loop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos bench's child JVMs leave no orphans: a child halts once its stdin reaches end of file —
 * what happens when the bench's JVM dies, however it dies — and {@link ChildJvm#kill} is a SIGKILL.
 */
class ChildJvmTest {

  /** A child that prints READY and then waits forever. */
  public static final class Sleeper {
    public static void main(String[] args) throws Exception {
      System.out.println("READY");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  @Test
  void aChildHaltsWhenTheBenchIsGone(@TempDir Path dir) throws Exception {
    ChildJvm child =
        new ChildJvm(
            "sleeper",
            dir.resolve("sleeper.log"),
            List.of("-Xmx32m"),
            Sleeper.class.getName(),
            List.of());
    child.start(120);
    Process p = child.process();
    assertThat(p.isAlive()).isTrue();

    p.getOutputStream().close(); // what the end of the bench's JVM does to the pipe

    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the child exited").isTrue();
    assertThat(p.exitValue()).isEqualTo(3);
    // the bench's reader thread writes the child's last line once the pipe closes
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(Files.readString(dir.resolve("sleeper.log")))
                    .contains("the chaos bench is gone"));
  }

  @Test
  void killIsASigkillAndAChildStartsAgain(@TempDir Path dir) throws Exception {
    ChildJvm child =
        new ChildJvm(
            "sleeper",
            dir.resolve("sleeper.log"),
            List.of("-Xmx32m"),
            Sleeper.class.getName(),
            List.of());
    child.start(120);
    Process first = child.process();
    child.kill();
    assertThat(first.isAlive()).isFalse();
    assertThat(first.exitValue()).as("128 + SIGKILL").isEqualTo(137);

    child.start(120);
    assertThat(child.process().isAlive()).isTrue();
    assertThat(child.process().pid()).isNotEqualTo(first.pid());
    child.kill();
  }
}
