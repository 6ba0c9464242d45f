package io.salientstream.core.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code salientstream-core salience|schedule ...}: both core commands under one entry point. The
 * launcher module registers {@link SalienceCommand} and {@link ScheduleCommand} as subcommands of
 * {@code bin/salientstream}; this class lets them run from this module alone ({@code java -cp ...
 * io.salientstream.core.cli.CoreCli}).
 */
@Command(
    name = "salientstream-core",
    mixinStandardHelpOptions = true,
    subcommands = {SalienceCommand.class, ScheduleCommand.class},
    description = "Rank-allocation core commands.")
public final class CoreCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand (salience or schedule)");
  }

  public static void main(String[] args) {
    System.exit(CliSupport.run(new CoreCli(), args, CliSupport.stdout(), CliSupport.stderr()));
  }
}
