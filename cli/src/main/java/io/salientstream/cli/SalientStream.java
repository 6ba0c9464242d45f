package io.salientstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/salientstream} launcher: one picocli command whose subcommands are the system's
 * jobs. Exit codes: 0 success, 1 failure while running, 2 bad arguments or input.
 */
@Command(
    name = "salientstream",
    mixinStandardHelpOptions = true,
    versionProvider = SalientStream.Version.class,
    description = "Event-driven adaptive-rank LoRA fine-tuning on Apache Kafka.",
    subcommands = {CommandLine.HelpCommand.class})
public final class SalientStream {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The launcher with every subcommand registered; tests call {@code execute} on it. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new SalientStream());
    Subcommands.register(cl);
    return Launchers.withErrorHandling(cl, "salientstream");
  }

  /** Version from the jar manifest when packaged. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"salientstream " + Launchers.version(SalientStream.class)};
    }
  }
}
