package org.seqlab;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Spark side ships to executors: it stands on the engine and Spark, and on nothing of the
 * command line, the web lab or the plots.
 */
class SweepArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.seqlab.sweep");
  }

  @Test
  void theExecutorKnowsNoFace() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.sweep..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.cli..", "org.seqlab.web..", "org.seqlab.lab..", "org.seqlab.view..")
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage("picocli..", "io.helidon..", "org.knowm..")
        .check(classes);
  }
}
