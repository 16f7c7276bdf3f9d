# Reference values for jobtro/stats/tests/test_zph.py: R's survival::cox.zph (the score test of
# survival >= 3.0, with the full 2p x 2p information) on the CSV files in data/, written into
# zph_results.py.
#
# Regenerate, from the repository root (needs R >= 4.2 with survival >= 3.5; not needed by the tests):
#
#     Rscript jobtro/stats/tests/results/zph.R
#
# The script (re)writes its own fixtures - deterministically (set.seed), so they do not change - and
# then fits every case *from the CSV files*, so R sees exactly the numbers Python reads. It reads, and
# never writes, cox.R's fixtures cox_lung.csv, cox_ovarian.csv, cox_weekly.csv and cox_counting.csv.
#
#   zph_violation.csv        500 citizens, weekly times (heavy ties), three sites (strata). The effect of
#                            `treat` is a log hazard ratio of +1.2 in the first 8 weeks and -0.8 after: a
#                            clear violation of proportional hazards. `group` is a three-level factor
#                            (also written as 0/1 columns group_b, group_c, which is what Python fits);
#                            `pilot` is 0 throughout site C (constant within a stratum).
#   zph_violation_split.csv  the same citizens split at weeks 8, 20 and 35 into (start, stop] rows
#                            (survSplit): the same Cox fit, in counting-process form.
#
# Every fit uses control = coxph.control(eps = 1e-11, iter.max = 100), as in cox.R, so the references
# are at full convergence.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "jobtro/stats/tests/results"
data_dir <- file.path(here, "data")

write_data <- function(frame, name) {
  write.csv(frame, file.path(data_dir, name), row.names = FALSE, quote = FALSE)
}

# ---- data -------------------------------------------------------------------------------------------

set.seed(20260507)
n <- 500
violation <- data.frame(
  id = 1:n,
  treat = rbinom(n, 1, 0.5),
  age = round(runif(n, 18, 64)),
  group = sample(c("a", "b", "c"), n, replace = TRUE),
  site = sample(c("A", "B", "C"), n, replace = TRUE)
)
violation$pilot <- ifelse(violation$site == "C", 0L, rbinom(n, 1, 0.4))
violation$group_b <- as.integer(violation$group == "b")
violation$group_c <- as.integer(violation$group == "c")
linear <- with(violation, -0.02 * (age - 40) + 0.3 * group_b - 0.2 * group_c + 0.2 * pilot)
rate_early <- 0.04 * exp(linear + 1.2 * violation$treat)
rate_late <- 0.04 * exp(linear - 0.8 * violation$treat)
early <- rexp(n, rate_early)
latent <- ifelse(early <= 8, early, 8 + rexp(n, rate_late))
censor <- runif(n, 15, 90)
violation$time <- pmin(ceiling(pmin(latent, censor)), 52)
violation$event <- as.integer(latent <= censor & ceiling(latent) <= 52)
violation <- violation[, c("id", "time", "event", "treat", "age", "pilot", "group", "group_b", "group_c", "site")]
write_data(violation, "zph_violation.csv")

split <- survSplit(Surv(time, event) ~ ., data = violation, cut = c(8, 20, 35), start = "start", end = "stop")
split <- split[order(split$id, split$start), c("id", "start", "stop", "event", "treat", "age", "pilot", "group",
                                                "group_b", "group_c", "site")]
write_data(split, "zph_violation_split.csv")

# ---- cases ------------------------------------------------------------------------------------------

# x: the covariate columns as Python fits them; r_x: the same as R formula terms (a factor for `group`).
# residuals, by_column_residuals: which ties keep the scaled residuals (of terms = TRUE, of terms = FALSE)
# in zph_results.py, so that it stays moderate in size while every kind of data - ties, strata, weights,
# counting process, grouped terms, a covariate constant within a stratum - is still covered.
cases <- list()
add <- function(name, file, time, event, x, r_x = x, start = NULL, strata = NULL, weights = NULL,
                terms = NULL, residuals = c("efron", "breslow"), by_column_residuals = NULL) {
  for (ties in c("efron", "breslow")) {
    cases[[paste(name, ties, sep = "_")]] <<- list(
      base = name, file = file, time = time, event = event, x = x, r_x = r_x, start = start, strata = strata,
      weights = weights, ties = ties, terms = terms, residuals = ties %in% residuals,
      by_column_residuals = ties %in% by_column_residuals
    )
  }
}
violation_x <- c("treat", "age", "pilot", "group_b", "group_c")
violation_r_x <- c("treat", "age", "pilot", "group")
add("lung", "cox_lung.csv", "time", "status", c("age", "sex", "ph.ecog"))
add("ovarian", "cox_ovarian.csv", "futime", "fustat", c("age", "ecog.ps", "rx"))
add("weekly", "cox_weekly.csv", "time", "event", c("belief", "age", "female", "score"), residuals = NULL)
add("weekly_strata_weights", "cox_weekly.csv", "time", "event", c("belief", "age", "female", "score"),
    strata = "site", weights = "w")
add("counting", "cox_counting.csv", "stop", "event", c("belief", "age"), start = "start", residuals = NULL)
add("counting_strata_weights", "cox_counting.csv", "stop", "event", c("belief", "age"), start = "start",
    strata = "group", weights = "w")
add("violation", "zph_violation.csv", "time", "event", violation_x, violation_r_x, strata = "site",
    terms = list(group = c("group_b", "group_c")), by_column_residuals = "efron")
add("violation_split", "zph_violation_split.csv", "stop", "event", violation_x, violation_r_x, start = "start",
    strata = "site", terms = list(group = c("group_b", "group_c")), residuals = "efron")

transforms <- c("km", "rank", "identity", "log")

fit_case <- function(case) {
  frame <- read.csv(file.path(data_dir, case$file), check.names = FALSE, encoding = "UTF-8")
  if ("group" %in% case$r_x) frame$group <- factor(frame$group)
  response <- if (is.null(case$start)) {
    sprintf("Surv(`%s`, `%s`)", case$time, case$event)
  } else {
    sprintf("Surv(`%s`, `%s`, `%s`)", case$start, case$time, case$event)
  }
  terms <- sprintf("`%s`", case$r_x)
  if (!is.null(case$strata)) terms <- c(terms, sprintf("strata(`%s`)", case$strata))
  formula <- as.formula(paste(response, "~", paste(terms, collapse = " + ")))
  frame$.w <- if (is.null(case$weights)) 1 else frame[[case$weights]]
  fit <- coxph(formula, data = frame, ties = case$ties, weights = .w,
               control = coxph.control(eps = 1e-11, iter.max = 100))
  stopifnot(fit$iter < 100)
  zph <- lapply(transforms, function(tr) cox.zph(fit, transform = tr))
  names(zph) <- transforms
  by_column <- if (is.null(case$terms)) NULL else cox.zph(fit, transform = "km", terms = FALSE)
  list(fit = fit, zph = zph, by_column = by_column)
}

# ---- zph_results.py ---------------------------------------------------------------------------------

num <- function(x) {
  s <- sprintf("%.17g", x)
  s[is.na(x)] <- "nan"
  paste0("np.array([", paste(s, collapse = ", "), "])")
}
py_str <- function(s) if (is.null(s)) "None" else sprintf('"%s"', s)
py_strs <- function(s) paste0("[", paste0('"', s, '"', collapse = ", "), "]")
py_terms <- function(terms) {
  if (is.null(terms)) return("None")
  items <- sapply(names(terms), function(name) sprintf('"%s": %s', name, py_strs(terms[[name]])))
  paste0("{", paste(items, collapse = ", "), "}")
}
pad <- "        "
field <- function(key, value) sprintf('%s"%s": %s,', pad, key, value)
table_field <- function(key, z) field(key, paste0("[", paste(apply(z$table, 2, num), collapse = ", "), "]"))
residual_fields <- function(z, prefix) {
  c(
    sprintf('%s"%sresiduals": [', pad, prefix),
    sprintf("%s    %s,", pad, apply(z$y, 2, num)),
    sprintf("%s],", pad),
    field(paste0(prefix, "var"), paste0("[", paste(apply(z$var, 1, num), collapse = ", "), "]"))
  )
}

out <- c(
  '"""Reference values for test_zph.py: R\'s survival::cox.zph on the CSV files in data/.',
  "",
  "GENERATED by zph.R - do not edit. Regenerate from the repository root with",
  "",
  "    Rscript jobtro/stats/tests/results/zph.R",
  "",
  sprintf("%s, survival %s.", R.version.string, as.character(packageVersion("survival"))),
  "",
  "Each case: the data file and columns (as cox_zph takes them; `terms` groups columns into one term, as R",
  "does for a factor), R's coefficients and term names (GLOBAL last); per transform the table [chisq, df, p]",
  "(one vector each, a row per term and GLOBAL last); for the cases that keep them, the scaled Schoenfeld",
  "residuals (one vector per term, NA as nan) and `var`. With grouped terms, `by_column_*` is",
  "cox.zph(fit, terms = FALSE), transform km. EVENTS (per data set, as `base`): the event times in R's order,",
  "their strata (0-based codes) and the transformed times `x_km`, `x_rank` (identity and log are the times",
  "themselves).",
  '"""',
  "",
  "# fmt: off",
  "from typing import Any",
  "",
  "import numpy as np",
  "",
  "nan = float(\"nan\")",
  "",
  "CASES: dict[str, dict[str, Any]] = {"
)
events <- c(
  "",
  "# The event times of each data set in R's order (the same for both ties), their strata and transforms.",
  "EVENTS: dict[str, dict[str, Any]] = {"
)
for (name in names(cases)) {
  case <- cases[[name]]
  r <- fit_case(case)
  km <- r$zph[["km"]]
  out <- c(out,
    sprintf('    "%s": {', name),
    field("base", py_str(case$base)),
    field("data", py_str(case$file)),
    field("time", py_str(case$time)),
    field("event", py_str(case$event)),
    field("x", py_strs(case$x)),
    field("start", py_str(case$start)),
    field("strata", py_str(case$strata)),
    field("weights", py_str(case$weights)),
    field("ties", py_str(case$ties)),
    field("terms", py_terms(case$terms)),
    field("coef", num(unname(coef(r$fit)))),
    field("names", py_strs(rownames(km$table)))
  )
  if (case$ties == "efron") {
    events <- c(events,
      sprintf('    "%s": {', case$base),
      field("time_values", num(unname(km$time))),
      field("strata_codes", if (is.null(km$strata)) "None" else num(as.integer(km$strata) - 1L)),
      field("x_km", num(unname(km$x))),
      field("x_rank", num(unname(r$zph[["rank"]]$x))),
      "    },"
    )
  }
  stopifnot(all(r$zph[["identity"]]$x == km$time), all(r$zph[["log"]]$x == log(km$time)))
  for (tr in transforms) out <- c(out, table_field(tr, r$zph[[tr]]))
  if (case$residuals) out <- c(out, residual_fields(km, ""))
  if (!is.null(r$by_column)) {
    out <- c(out, field("by_column_names", py_strs(rownames(r$by_column$table))), table_field("by_column_km", r$by_column))
    if (case$by_column_residuals) out <- c(out, residual_fields(r$by_column, "by_column_"))
  }
  out <- c(out, "    },")
}
out <- c(out, "}", events, "}", "# fmt: on")
writeLines(out, file.path(here, "zph_results.py"))
cat("wrote", file.path(here, "zph_results.py"), "with", length(cases), "cases\n")
