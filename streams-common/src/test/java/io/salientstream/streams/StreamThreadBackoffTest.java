package io.salientstream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/**
 * Failed stream threads are replaced after a pause that doubles per failure in a row, and the
 * failure stays visible (for {@code GET /health}) with its root cause.
 */
class StreamThreadBackoffTest {

  @Test
  void thePauseDoublesWithEveryFailureInARowAndTheRootCauseIsKept() {
    StreamsApp.Failures f = new StreamsApp.Failures("test-app", 40);
    assertThat(f.recent()).isNull();
    long[] took = new long[4];
    for (int i = 0; i < took.length; i++) {
      long t0 = System.nanoTime();
      StreamThreadExceptionResponse r =
          f.onFailure(
              new RuntimeException(
                  "wrapper", new IllegalStateException("schema registry does not answer")));
      took[i] = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    assertThat(took[0]).isGreaterThanOrEqualTo(40);
    assertThat(took[1]).isGreaterThanOrEqualTo(80);
    assertThat(took[2]).isGreaterThanOrEqualTo(160);
    assertThat(took[3]).isGreaterThanOrEqualTo(320);
    assertThat(f.total()).isEqualTo(4);
    assertThat(f.recent())
        .isEqualTo("IllegalStateException: schema registry does not answer (4 in a row)");
  }
}
