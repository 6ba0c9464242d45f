package io.salientstream.core.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.core.salient.SalienceEngine;
import io.salientstream.core.salient.SalienceMode;
import io.salientstream.core.salient.SalienceParams;
import io.salientstream.core.salient.SalienceResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code salience --input FILE --mode reference|clean [--repeat K]}: computes one window end given
 * in the golden-vector format ({@code core/src/test/resources/golden/salience-*.json}) and prints
 * one JSON object: {@code
 * {"keepMask":[0|1,...],"scores":[...],"threshold":x,"kept":k,"edges":e,"millis":m}}, where {@code
 * millis} is the median wall time of K computations in this process (after {@code --warmup} untimed
 * ones). NaN scores (reference mode only) are printed as {@code null}. Series that are exactly 0 in
 * every row are treated as already pruned (the mask in force). Bad arguments or input: a message on
 * stderr naming the file and field, exit code 2.
 */
@Command(
    name = "salience",
    mixinStandardHelpOptions = true,
    description =
        "Compute SalientLoRA salience and the new keep mask for one window (golden salience-*.json format).")
public final class SalienceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE",
      description = "window in the golden salience JSON format")
  Path input;

  @Option(
      names = "--mode",
      defaultValue = "reference",
      paramLabel = "reference|clean",
      description =
          "reference (reproduces the reference code) or clean (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(
      names = "--repeat",
      defaultValue = "1",
      paramLabel = "K",
      description = "timed repetitions; millis is their median (default: ${DEFAULT-VALUE})")
  int repeat;

  @Option(
      names = "--warmup",
      defaultValue = "0",
      paramLabel = "W",
      description = "untimed repetitions before timing (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--lambda",
      paramLabel = "L",
      description = "clean mode: weight of the influence term (default 0.7)")
  Double lambda;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "worker threads (default: available processors, at most 8)")
  Integer threads;

  @Override
  public Integer call() {
    SalienceMode m;
    try {
      m = SalienceMode.parse(mode);
    } catch (IllegalArgumentException e) {
      throw new InputException("--mode must be reference or clean, got '" + mode + "'");
    }
    if (repeat < 1) throw new InputException("--repeat must be >= 1, got " + repeat);
    if (warmup < 0) throw new InputException("--warmup must be >= 0, got " + warmup);
    if (threads != null && threads < 1)
      throw new InputException("--threads must be >= 1, got " + threads);
    if (lambda != null && m == SalienceMode.REFERENCE)
      throw new InputException("--lambda applies to --mode clean only");
    SalienceInput in = SalienceInput.read(input);
    double lam =
        m == SalienceMode.CLEAN ? (lambda == null ? SalienceParams.DEFAULT_LAMBDA : lambda) : 0.5;
    SalienceParams params;
    try {
      params = new SalienceParams(m, in.beta(), in.gamma(), lam);
    } catch (IllegalArgumentException e) {
      throw new InputException(input + ": " + e.getMessage());
    }
    SalienceEngine engine =
        threads == null ? new SalienceEngine(params) : new SalienceEngine(params, threads);

    boolean[] alive = new boolean[in.window().n()];
    double[] x = in.window().values();
    int n = in.window().n();
    for (int t = 0; t < in.windowLength(); t++)
      for (int i = 0; i < n; i++) alive[i] |= x[t * n + i] != 0;

    for (int w = 0; w < warmup; w++) engine.compute(in.window(), in.keep(), alive);
    long[] nanos = new long[repeat];
    SalienceResult r = null;
    for (int k = 0; k < repeat; k++) {
      long t0 = System.nanoTime();
      r = engine.compute(in.window(), in.keep(), alive);
      nanos[k] = System.nanoTime() - t0;
    }
    Arrays.sort(nanos);
    double millis =
        (repeat % 2 == 1 ? nanos[repeat / 2] : (nanos[repeat / 2 - 1] + nanos[repeat / 2]) / 2.0)
            / 1e6;

    ObjectNode out = CliSupport.JSON.createObjectNode();
    ArrayNode mask = out.putArray("keepMask");
    for (boolean b : r.keep()) mask.add(b ? 1 : 0);
    ArrayNode scores = out.putArray("scores");
    for (double s : r.scores()) {
      if (Double.isFinite(s)) scores.add(s);
      else scores.addNull();
    }
    if (Double.isFinite(r.threshold())) out.put("threshold", r.threshold());
    else out.putNull("threshold");
    out.put("kept", r.kept());
    out.put("edges", r.edges());
    out.put("millis", Math.round(millis * 1000) / 1000.0);
    PrintWriter pw = spec.commandLine().getOut();
    pw.println(out.toString());
    pw.flush();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(
        CliSupport.run(new SalienceCommand(), args, CliSupport.stdout(), CliSupport.stderr()));
  }
}
