package io.salientstream.streams;

import io.salientstream.avro.DeadLetterReason;

/**
 * Thrown when an input record cannot be processed. It carries the dead-letter category and a
 * message that names what is wrong and where (experiment, step, matrix, index); the processor turns
 * it into a {@code DeadLetter} record with the original bytes and the source topic, partition and
 * offset.
 */
public final class RejectedRecord extends RuntimeException {

  private final DeadLetterReason reason;

  public RejectedRecord(DeadLetterReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public DeadLetterReason reason() {
    return reason;
  }
}
