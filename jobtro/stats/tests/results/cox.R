# Reference values for jobtro/stats/tests/test_cox.py: R's survival::coxph fitted to the CSV files in
# data/, written into cox_results.py (as statsmodels keeps duration/tests/results/survival.R).
#
# Regenerate, from the repository root (needs R >= 4.2 with survival >= 3.5; not needed by the tests):
#
#     Rscript jobtro/stats/tests/results/cox.R
#
# The script first (re)writes the data files - deterministically (set.seed), so they do not change -
# and then fits every case *from the CSV files*, so R sees exactly the numbers Python reads:
#
#   cox_weekly.csv    600 citizens, weekly times (heavy ties), ~55 % events; a caseworker cluster with a
#                     shared frailty, a text stratum (site) and non-integer case weights
#   cox_counting.csv  250 citizens in counting-process form: (start, stop] split at the quarterly waves,
#                     a time-varying belief, late entry for some; the citizen is the cluster; weights w
#   cox_counting_score_residuals.csv
#                     R's residuals(fit, type = "score") of ~ belief + age + strata(group), weights w,
#                     Efron and Breslow, row by row
#   cox_lung.csv      survival::lung, complete cases of the columns used, status recoded to 0/1
#   cox_ovarian.csv   survival::ovarian (continuous times, few events)
#
# Every fit uses control = coxph.control(eps = 1e-11, iter.max = 100): R's answer at full convergence
# (the default eps = 1e-9 may stop ~1e-8 short of the maximum; toler.chol's default is below 1e-11).

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "jobtro/stats/tests/results"
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)

write_data <- function(frame, name) {
  write.csv(frame, file.path(data_dir, name), row.names = FALSE, quote = FALSE)
}

# ---- data -------------------------------------------------------------------------------------------

set.seed(20260501)
n <- 600
caseworker <- sample(1:40, n, replace = TRUE)
frailty <- rnorm(40, 0, 0.4)
weekly <- data.frame(
  id = 1:n,
  caseworker = caseworker,
  site = sample(c("Silkeborg", "Odder", "Sønderborg"), n, replace = TRUE),
  belief = sample(1:5, n, replace = TRUE),
  age = round(runif(n, 18, 64)),
  female = rbinom(n, 1, 0.5),
  score = round(rnorm(n), 3),
  w = round(runif(n, 0.5, 2), 2)
)
linear <- with(weekly, 0.25 * (belief - 3) - 0.02 * (age - 40) + 0.2 * female + 0.1 * score) + frailty[caseworker]
latent <- rexp(n, rate = 0.03 * exp(linear))
censor <- runif(n, 10, 80)
weekly$time <- pmin(ceiling(pmin(latent, censor)), 52)
weekly$event <- as.integer(latent <= censor & ceiling(latent) <= 52)
weekly <- weekly[, c("id", "time", "event", "belief", "age", "female", "score", "caseworker", "site", "w")]
write_data(weekly, "cox_weekly.csv")

set.seed(20260502)
m <- 250
rows <- list()
for (i in 1:m) {
  entry <- if (runif(1) < 0.3) sample(1:12, 1) else 0
  age <- round(runif(1, 18, 64))
  group <- sample(0:1, 1)
  belief <- sample(1:5, 1)
  t <- entry
  repeat {
    wave_end <- min((t %/% 13 + 1) * 13, 52)
    rate <- 0.025 * exp(0.3 * (belief - 3) - 0.015 * (age - 40))
    leave <- t + ceiling(rexp(1, rate))
    stop <- min(leave, wave_end)
    event <- as.integer(leave <= wave_end)
    rows[[length(rows) + 1]] <- data.frame(
      id = i, start = t, stop = stop, event = event, belief = belief, age = age, group = group
    )
    if (event == 1 || stop >= 52) break
    t <- stop
    belief <- min(5, max(1, belief + sample(-1:1, 1)))
  }
}
counting <- do.call(rbind, rows)
counting$w <- rep(c(1, 2.5), length.out = nrow(counting))
write_data(counting, "cox_counting.csv")

lung_data <- na.omit(survival::lung[, c("inst", "time", "status", "age", "sex", "ph.ecog")])
lung_data$status <- lung_data$status - 1
write_data(lung_data, "cox_lung.csv")
write_data(survival::ovarian, "cox_ovarian.csv")

# ---- cases ------------------------------------------------------------------------------------------

cases <- list()
add <- function(name, file, time, event, x, start = NULL, strata = NULL, cluster = NULL, weights = NULL) {
  for (ties in c("efron", "breslow")) {
    cases[[paste(name, ties, sep = "_")]] <<- list(
      file = file, time = time, event = event, x = x, start = start, strata = strata, cluster = cluster,
      weights = weights, ties = ties
    )
  }
}
weekly_x <- c("belief", "age", "female", "score")
add("weekly", "cox_weekly.csv", "time", "event", weekly_x)
add("weekly_cluster", "cox_weekly.csv", "time", "event", weekly_x, cluster = "caseworker")
add("weekly_strata", "cox_weekly.csv", "time", "event", weekly_x, strata = "site")
add("weekly_strata_cluster", "cox_weekly.csv", "time", "event", weekly_x, strata = "site", cluster = "caseworker")
add("weekly_weights", "cox_weekly.csv", "time", "event", weekly_x, weights = "w", cluster = "id")
add("weekly_weights_cluster", "cox_weekly.csv", "time", "event", weekly_x, weights = "w", cluster = "caseworker")
add("counting", "cox_counting.csv", "stop", "event", c("belief", "age"), start = "start")
add("counting_cluster", "cox_counting.csv", "stop", "event", c("belief", "age"), start = "start", cluster = "id")
add("counting_strata_cluster", "cox_counting.csv", "stop", "event", c("belief", "age"), start = "start",
    strata = "group", cluster = "id")
add("lung", "cox_lung.csv", "time", "status", c("age", "sex", "ph.ecog"))
add("lung_cluster", "cox_lung.csv", "time", "status", c("age", "sex", "ph.ecog"), cluster = "inst")
add("ovarian", "cox_ovarian.csv", "futime", "fustat", c("age", "ecog.ps", "rx"))

fit_case <- function(case) {
  frame <- read.csv(file.path(data_dir, case$file), check.names = FALSE, encoding = "UTF-8")
  response <- if (is.null(case$start)) {
    sprintf("Surv(`%s`, `%s`)", case$time, case$event)
  } else {
    sprintf("Surv(`%s`, `%s`, `%s`)", case$start, case$time, case$event)
  }
  terms <- sprintf("`%s`", case$x)
  if (!is.null(case$strata)) terms <- c(terms, sprintf("strata(`%s`)", case$strata))
  if (!is.null(case$cluster)) terms <- c(terms, sprintf("cluster(`%s`)", case$cluster))
  formula <- as.formula(paste(response, "~", paste(terms, collapse = " + ")))
  frame$.w <- if (is.null(case$weights)) 1 else frame[[case$weights]]
  fit <- coxph(formula, data = frame, ties = case$ties, weights = .w,
               control = coxph.control(eps = 1e-11, iter.max = 100))
  stopifnot(fit$iter < 100)
  naive <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  list(
    coef = unname(coef(fit)),
    se = sqrt(diag(naive)),
    robust_se = if (is.null(case$cluster)) NULL else sqrt(diag(fit$var)),
    loglik = fit$loglik,
    n = fit$n,
    events = fit$nevent,
    iterations = fit$iter
  )
}

# ---- score residuals, row by row (counting process, strata, weights) --------------------------------

counting_csv <- read.csv(file.path(data_dir, "cox_counting.csv"))
residual_columns <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(start, stop, event) ~ belief + age + strata(group), data = counting_csv, weights = w,
               ties = ties, control = coxph.control(eps = 1e-11, iter.max = 100))
  score <- residuals(fit, type = "score")
  residual_columns[[paste0(ties, "_belief")]] <- sprintf("%.17g", score[, "belief"])
  residual_columns[[paste0(ties, "_age")]] <- sprintf("%.17g", score[, "age"])
}
write_data(as.data.frame(residual_columns), "cox_counting_score_residuals.csv")

# ---- cox_results.py ---------------------------------------------------------------------------------

num <- function(v) sprintf("%.17g", v)
py_str <- function(s) if (is.null(s)) "None" else sprintf('"%s"', s)
py_list <- function(values, indent, format = num) {
  if (is.null(values)) return("None")
  pad <- strrep(" ", indent + 4)
  paste0("[\n", paste0(pad, format(values), ",", collapse = "\n"), "\n", strrep(" ", indent), "]")
}

out <- c(
  '"""Reference values for test_cox.py: R\'s survival::coxph on the CSV files in data/.',
  "",
  "GENERATED by cox.R - do not edit. Regenerate from the repository root with",
  "",
  "    Rscript jobtro/stats/tests/results/cox.R",
  "",
  sprintf("%s, survival %s.", R.version.string, as.character(packageVersion("survival"))),
  "",
  "Each case: the data file and columns (as fit_cox takes them), then R's coefficients, model-based SEs",
  "(naive.var), robust SEs (var, with a cluster), the log partial likelihood at zero and at the estimate,",
  "rows, events and Newton iterations.",
  '"""',
  "",
  "from typing import Any",
  "",
  "CASES: dict[str, dict[str, Any]] = {"
)
for (name in names(cases)) {
  case <- cases[[name]]
  r <- fit_case(case)
  field <- function(key, value) sprintf("        \"%s\": %s,", key, value)
  out <- c(out,
    sprintf('    "%s": {', name),
    field("data", py_str(case$file)),
    field("time", py_str(case$time)),
    field("event", py_str(case$event)),
    field("x", py_list(case$x, 8, format = function(v) sprintf('"%s"', v))),
    field("start", py_str(case$start)),
    field("strata", py_str(case$strata)),
    field("cluster", py_str(case$cluster)),
    field("weights", py_str(case$weights)),
    field("ties", py_str(case$ties)),
    field("n", r$n),
    field("events", r$events),
    field("iterations", r$iterations),
    field("coef", py_list(r$coef, 8)),
    field("se", py_list(r$se, 8)),
    field("robust_se", py_list(r$robust_se, 8)),
    field("loglik", py_list(r$loglik, 8)),
    "    },"
  )
}
out <- c(out, "}")
writeLines(out, file.path(here, "cox_results.py"))
cat("wrote", file.path(here, "cox_results.py"), "with", length(cases), "cases\n")
