package io.salientstream.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume counter kept beside a checkpoint: every resume of one checkpoint folder gets its own
 * number, also when several start at once, so the Kafka host's resumed epochs (checkpoint epoch +
 * number) cannot collide.
 */
class ResumeCounterTest {

  @Test
  void numbersRiseByOneAndSurviveAReread(@TempDir Path dir) throws IOException {
    assertThat(TrainerCheckpoint.claimResume(dir)).isEqualTo(1);
    assertThat(TrainerCheckpoint.claimResume(dir)).isEqualTo(2);
    assertThat(Files.readString(dir.resolve(TrainerCheckpoint.RESUMES)).trim()).isEqualTo("2");
    assertThat(TrainerCheckpoint.claimResume(dir)).isEqualTo(3);
  }

  @Test
  void resumesStartedAtOnceNeverShareANumber(@TempDir Path dir) throws Exception {
    int n = 16;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Long>> claims = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        claims.add(pool.submit((Callable<Long>) () -> TrainerCheckpoint.claimResume(dir)));
      }
      Set<Long> got = new HashSet<>();
      for (Future<Long> f : claims) {
        got.add(f.get());
      }
      assertThat(got).hasSize(n);
      assertThat(got).allMatch(v -> v >= 1 && v <= n);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aDamagedCounterIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve(TrainerCheckpoint.RESUMES), "seven\n");
    assertThatThrownBy(() -> TrainerCheckpoint.claimResume(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(TrainerCheckpoint.RESUMES)
        .hasMessageContaining("'seven'");
  }
}
