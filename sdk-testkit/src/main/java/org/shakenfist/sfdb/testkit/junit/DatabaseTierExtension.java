package org.shakenfist.sfdb.testkit.junit;

import java.util.Objects;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.DatabaseTierBuilder;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension owning a {@link DatabaseTier}. As a {@code static} field the tier is started once for
 * the class and {@link DatabaseTier#reset() reset} after each test (killed instances restarted, faults
 * cleared); as an instance field it is started and stopped around each test. Test methods may also take
 * a {@link DatabaseTier} parameter.
 *
 * <pre>{@code
 * class MyDaemonTest {
 *   @RegisterExtension
 *   static DatabaseTierExtension tier = DatabaseTierExtension.instances(3);
 *
 *   @Test
 *   void spreadsCalls() {
 *     FanOutAssertions.assertFansOut(FanOut.of(tier.get()));
 *   }
 * }
 * }</pre>
 */
public final class DatabaseTierExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private final DatabaseTierBuilder builder;
  private DatabaseTier tier;
  private boolean perClass;

  private DatabaseTierExtension(DatabaseTierBuilder builder) {
    this.builder = builder;
  }

  /** {@code n} in-process instances. */
  public static DatabaseTierExtension instances(int n) {
    return new DatabaseTierExtension(DatabaseTier.builder().instances(n));
  }

  /** A tier from a configured builder (e.g. Netty on loopback). */
  public static DatabaseTierExtension of(DatabaseTierBuilder builder) {
    return new DatabaseTierExtension(Objects.requireNonNull(builder));
  }

  /** The running tier. */
  public DatabaseTier get() {
    if (tier == null) {
      throw new IllegalStateException("the tier is not running (used outside a test?)");
    }
    return tier;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    tier = builder.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      tier = builder.start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (perClass) {
      tier.reset();
    } else {
      stop();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == DatabaseTier.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return get();
  }

  private void stop() {
    if (tier != null) {
      tier.close();
      tier = null;
    }
  }
}
