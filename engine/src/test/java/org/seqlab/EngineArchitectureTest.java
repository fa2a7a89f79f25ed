package org.seqlab;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine sits below every face: it describes runs, reports and figures, and knows nothing of
 * the command line, the web lab, the plots' library or Spark.
 */
class EngineArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.seqlab");
  }

  @Test
  void experimentsKnowNoFace() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.experiments..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.cli..",
            "org.seqlab.web..",
            "org.seqlab.lab..",
            "org.seqlab.view..",
            "org.seqlab.sweep..")
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "picocli..", "io.helidon..", "org.knowm..", "org.apache.spark..", "scala..")
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage("java.awt..", "javax.imageio..")
        .check(classes);
  }

  @Test
  void theSweepsStandOnTheRunsNotTheOtherWay() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.experiments")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.seqlab.experiments.sweep..")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("org.seqlab.(*)..").should().beFreeOfCycles().check(classes);
    slices().matching("org.seqlab.experiments.(**)").should().beFreeOfCycles().check(classes);
  }
}
