package dev.weft.it.harness;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * Runs one {@link LocalStack} per test class: register it as a static field with
 * {@code @RegisterExtension}. It starts before the class's tests (aborting each of them, with the
 * reason, when the tools are unavailable: an abort in beforeAll would make the build report no
 * tests at all rather than skipped ones), is stopped after them whatever happened, and prints
 * the last lines of the Collector and Jaeger logs into the report of a failing test (the full logs
 * stay in {@code target/weft-it/<test class>/}).
 */
public final class LocalStackExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback, AfterTestExecutionCallback {
  private LocalStack stack;
  private String unavailable;

  @Override
  public void beforeAll(ExtensionContext context) {
    try {
      stack = LocalStack.start(Repo.outputDir(context.getRequiredTestClass().getSimpleName()));
    } catch (TestAbortedException e) {
      unavailable = e.getMessage();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (unavailable != null) {
      Assumptions.abort(unavailable);
    }
  }

  public LocalStack stack() {
    if (stack == null) {
      throw new IllegalStateException("the local stack is not running");
    }
    return stack;
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (context.getExecutionException().isPresent() && stack != null) {
      System.out.println("[weft-it] " + context.getDisplayName() + " failed; logs:\n"
          + stack.diagnostics());
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }
}
