package dev.weft.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code weft}: the standalone collector and inspection tool (docs/deployment.md).
 *
 * <p>Exit codes: 0 done; 1 some segment could not be handled (recovery export failed, a creator
 * still runs, ...); 2 bad usage or input (no such file, not a Weft segment, not ours, no
 * exporter configured).
 */
@Command(name = "weft", mixinStandardHelpOptions = true, versionProvider = WeftCommand.Version.class,
    description = "Collects, recovers and inspects Weft shared-memory segments.",
    subcommands = {CollectCommand.class, DumpCommand.class, StatsCommand.class,
        RecoverCommand.class, CommandLine.HelpCommand.class})
public final class WeftCommand implements Runnable {
  /** Where segments are, unless WEFT_SHM_DIR says otherwise. */
  static final String DEFAULT_DIR = "/dev/shm";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "weft: name a command: collect, dump, stats or recover");
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line; returns the exit code (for tests). */
  public static int run(String... args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
    }
    return commandLine().execute(args);
  }

  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new WeftCommand());
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("weft: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
      return e instanceof UserError ? 2 : 1;
    });
    return line;
  }

  /** The directory segments are in: $WEFT_SHM_DIR, else /dev/shm. */
  static Path defaultDirectory() {
    String dir = System.getenv("WEFT_SHM_DIR");
    return Path.of(dir == null || dir.isEmpty() ? DEFAULT_DIR : dir);
  }

  /**
   * The segments {@code target} names: the file itself, or the candidates of a directory.
   *
   * @throws UserError if there is no such file or no segment in the directory
   */
  static List<Path> segments(Path target) throws IOException {
    if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new UserError(target + ": no such file or directory");
    }
    if (!Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return List.of(target);
    }
    List<Path> found = new ArrayList<>(dev.weft.internal.recovery.DeadSegments.candidates(target));
    if (found.isEmpty()) {
      throw new UserError("no Weft segment in " + target + " (files of this user named weft-*);"
          + " is WEFT_SHM_DIR the directory the native side uses?");
    }
    return found;
  }

  /** An error in what the user asked: exit code 2. */
  static final class UserError extends IOException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
      super(message);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = WeftCommand.class.getPackage().getImplementationVersion();
      return new String[] {"weft " + (version != null ? version : "(development build)")
          + ", segment ABI " + dev.weft.internal.segment.Abi.VERSION_MAJOR + "."
          + dev.weft.internal.segment.Abi.VERSION_MINOR};
    }
  }
}
