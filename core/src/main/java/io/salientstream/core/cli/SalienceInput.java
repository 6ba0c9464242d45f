package io.salientstream.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.core.json.JsonNumbers;
import io.salientstream.core.salient.Window;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * One window end in the golden-vector format ({@code
 * core/src/test/resources/golden/salience-*.json}): {@code matrices}, {@code rankPerMatrix}, {@code
 * windowLength}, {@code keep}, optional {@code beta}/{@code gamma} (defaults 0.9/2), {@code
 * singularValues} (T rows of N values, oldest first), {@code orthRegLoss} (T values), and
 * optionally {@code expected} ({@code scores}, {@code threshold}, {@code keepMask}) which only
 * tests read.
 */
public record SalienceInput(
    Path file,
    int matrices,
    int rankPerMatrix,
    int windowLength,
    int keep,
    double beta,
    double gamma,
    Window window,
    double[] expectedScores,
    Double expectedThreshold,
    boolean[] expectedKeep) {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The most singular-value series (matrices x rank per matrix) a window may have. */
  public static final long MAX_SERIES = 10_000_000;

  /** The most values (window length x series) a window may have. */
  public static final long MAX_VALUES = 200_000_000;

  /**
   * Reads and validates a file; every problem is an {@link InputException} naming the file and
   * field.
   */
  public static SalienceInput read(Path file) {
    JsonNode root;
    try {
      root = MAPPER.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new InputException(file + ": file not found", e);
    } catch (IOException e) {
      throw new InputException(file + ": cannot read JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject())
      throw new InputException(file + ": top level must be a JSON object");
    Json j = new Json(file, root);
    int m = j.positiveInt("matrices");
    int r = j.positiveInt("rankPerMatrix");
    int len = j.positiveInt("windowLength");
    if ((long) m * r > MAX_SERIES)
      throw new InputException(
          file
              + ": fields 'matrices' x 'rankPerMatrix' = "
              + ((long) m * r)
              + " series, at most "
              + MAX_SERIES);
    int n = m * r;
    if ((long) len * n > MAX_VALUES)
      throw new InputException(
          file
              + ": fields 'windowLength' x matrices x rankPerMatrix = "
              + ((long) len * n)
              + " values, at most "
              + MAX_VALUES);
    int keep = j.intField("keep");
    if (keep < 0 || keep > n)
      throw new InputException(file + ": field 'keep' must be in [0, " + n + "], got " + keep);
    double beta = j.optDouble("beta", 0.9);
    double gamma = j.optDouble("gamma", 2.0);
    JsonNode sv = j.array("singularValues");
    if (sv.size() != len)
      throw new InputException(
          file + ": field 'singularValues' has " + sv.size() + " rows, windowLength is " + len);
    double[] values = new double[len * n];
    for (int t = 0; t < len; t++) {
      JsonNode row = sv.get(t);
      String where = "singularValues[" + t + "]";
      if (!row.isArray())
        throw new InputException(file + ": field '" + where + "' must be an array");
      if (row.size() != n)
        throw new InputException(
            file
                + ": field '"
                + where
                + "' has "
                + row.size()
                + " values, expected matrices*rankPerMatrix = "
                + n);
      for (int i = 0; i < n; i++) values[t * n + i] = j.finite(row.get(i), where + "[" + i + "]");
    }
    double[] reg = j.doubles("orthRegLoss", len);
    for (int t = 0; t < len; t++) {
      if (reg[t] < 0)
        throw new InputException(
            file + ": field 'orthRegLoss[" + t + "]' must be >= 0, got " + reg[t]);
    }
    Window window = new Window(values, len, n, reg, Window.uniformOffsets(m, r));
    double[] scores = null;
    Double thr = null;
    boolean[] mask = null;
    JsonNode exp = root.get("expected");
    if (exp != null && exp.isObject()) {
      Json e = new Json(file, exp);
      // NaN scores (reference mode, fully pruned matrices) are null, as the salience command prints
      // them
      if (exp.has("scores")) scores = e.nullableDoubles("scores", n);
      if (exp.has("threshold")) thr = e.nullableNumber(exp.get("threshold"), "expected.threshold");
      if (exp.has("keepMask")) {
        double[] bits = e.doubles("keepMask", n);
        mask = new boolean[n];
        for (int i = 0; i < n; i++) mask[i] = bits[i] != 0;
      }
    }
    return new SalienceInput(file, m, r, len, keep, beta, gamma, window, scores, thr, mask);
  }

  /** Field access with errors naming file and field. */
  record Json(Path file, JsonNode node) {
    JsonNode field(String name) {
      JsonNode v = node.get(name);
      if (v == null || v.isNull())
        throw new InputException(file + ": missing field '" + name + "'");
      return v;
    }

    int intField(String name) {
      JsonNode v = field(name);
      if (!v.canConvertToInt() || !v.isIntegralNumber())
        throw new InputException(file + ": field '" + name + "' must be an integer, got " + v);
      return v.intValue();
    }

    int positiveInt(String name) {
      int v = intField(name);
      if (v <= 0) throw new InputException(file + ": field '" + name + "' must be > 0, got " + v);
      return v;
    }

    long longField(String name) {
      JsonNode v = field(name);
      if (!v.isIntegralNumber() || !v.canConvertToLong())
        throw new InputException(file + ": field '" + name + "' must be an integer, got " + v);
      return v.longValue();
    }

    double optDouble(String name, double def) {
      JsonNode v = node.get(name);
      return v == null || v.isNull() ? def : finite(v, name);
    }

    double finite(JsonNode v, String where) {
      if (v == null || !v.isNumber())
        throw new InputException(file + ": field '" + where + "' must be a number, got " + v);
      double d = v.doubleValue();
      if (!Double.isFinite(d))
        throw new InputException(file + ": field '" + where + "' is not finite");
      return d;
    }

    JsonNode array(String name) {
      JsonNode v = field(name);
      if (!v.isArray()) throw new InputException(file + ": field '" + name + "' must be an array");
      return v;
    }

    double nullableNumber(JsonNode v, String where) {
      try {
        return JsonNumbers.nullableNumber(v, where);
      } catch (IllegalArgumentException ex) {
        throw new InputException(file + ": " + ex.getMessage());
      }
    }

    /**
     * Like {@link #doubles} but null (NaN as this project writes it) is allowed and read as NaN.
     */
    double[] nullableDoubles(String name, int expected) {
      JsonNode a = array(name);
      if (a.size() != expected)
        throw new InputException(
            file + ": field '" + name + "' has " + a.size() + " values, expected " + expected);
      double[] out = new double[expected];
      for (int i = 0; i < expected; i++) out[i] = nullableNumber(a.get(i), name + "[" + i + "]");
      return out;
    }

    double[] doubles(String name, int expected) {
      JsonNode a = array(name);
      if (a.size() != expected)
        throw new InputException(
            file + ": field '" + name + "' has " + a.size() + " values, expected " + expected);
      double[] out = new double[expected];
      for (int i = 0; i < expected; i++) out[i] = finite(a.get(i), name + "[" + i + "]");
      return out;
    }
  }
}
