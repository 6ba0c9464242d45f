package io.salientstream.trainer.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * DJL's HuggingFace tokenizer over the model jar's {@code tokenizer.json}, with explicit padding
 * and truncation (the file's own "Fixed 128" padding is not applied by DJL): truncate to {@code
 * maxLength}; pad to the longest sequence of the batch, or to exactly {@code maxLength} when {@code
 * padToMax}.
 */
public final class BatchTokenizer implements AutoCloseable {

  /** Token ids and attention mask of one batch, both [B, T] row-major. */
  public record Batch(int size, int length, long[] ids, long[] mask) {}

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;

  public BatchTokenizer(EncoderModel model, int maxLength, boolean padToMax) {
    this.maxLength = maxLength;
    try (InputStream in = BatchTokenizer.class.getResourceAsStream(model.tokenizerResource())) {
      if (in == null) {
        throw new IllegalStateException(
            "tokenizer " + model.tokenizerResource() + " not on the classpath");
      }
      tokenizer =
          HuggingFaceTokenizer.newInstance(
              in,
              Map.of(
                  "padding",
                  padToMax ? "max_length" : "true",
                  "truncation",
                  "true",
                  "maxLength",
                  Integer.toString(maxLength)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int maxLength() {
    return maxLength;
  }

  public Batch encode(List<String> texts) {
    Encoding[] enc = tokenizer.batchEncode(texts);
    int t = 0;
    for (Encoding e : enc) {
      t = Math.max(t, e.getIds().length);
    }
    long[] ids = new long[texts.size() * t];
    long[] mask = new long[texts.size() * t];
    for (int i = 0; i < enc.length; i++) {
      long[] id = enc[i].getIds();
      long[] m = enc[i].getAttentionMask();
      System.arraycopy(id, 0, ids, i * t, id.length);
      System.arraycopy(m, 0, mask, i * t, m.length);
    }
    return new Batch(texts.size(), t, ids, mask);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
