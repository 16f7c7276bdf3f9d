# Reference values for jobtro/stats/tests/test_frailty.py: R's survival::coxph with a shared gamma
# frailty, coxph(Surv(...) ~ x + frailty(group, distribution = "gamma")), fitted to the CSV files in
# data/ and written into frailty_results.py (as cox.R -> cox_results.py).
#
# Regenerate, from the repository root (needs R >= 4.2 with survival >= 3.5; not needed by the tests):
#
#     Rscript jobtro/stats/tests/results/frailty.R
#
# The script first (re)writes the data files - deterministically (set.seed) - and then fits every case
# *from the CSV files*, so R sees exactly the numbers Python reads:
#
#   frailty_weekly.csv    1,500 citizens, weekly times (heavy ties), ~55 % events, 60 caseworkers with a
#                         gamma frailty of variance 0.2; a text stratum (site)
#   frailty_counting.csv  600 citizens in counting-process form: (start, stop] split at the quarterly
#                         waves, a time-varying belief, late entry for some, 45 caseworkers (gamma
#                         frailty, variance 0.2) and a caseworker change for some citizens
#   frailty_kidney.csv    survival::kidney (38 patients with two recurrence times each)
#   frailty_rats.csv      survival::rats (100 litters of 3 rats), sex recoded to female 0/1
#
# Every fit uses R's defaults (coxph.control(): eps = 1e-9, iter.max = 20, outer.max = 10; frailty eps
# = 1e-5), since fit_cox_frailty replicates survival's algorithm - its stopping rules included - and
# the estimates depend on them (the search for theta stops at the last theta it tried).

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

set.seed(20260611)
n <- 1500
caseworkers <- 60
caseworker <- sample(1:caseworkers, n, replace = TRUE)
frailty <- rgamma(caseworkers, shape = 5, scale = 0.2)  # mean 1, variance 0.2
weekly <- data.frame(
  id = 1:n,
  caseworker = caseworker,
  site = sample(c("Silkeborg", "Odder", "Horsens"), n, replace = TRUE),
  belief = sample(1:5, n, replace = TRUE),
  age = round(runif(n, 18, 64)),
  female = rbinom(n, 1, 0.5)
)
linear <- with(weekly, 0.285 * (belief - 3) - 0.015 * (age - 40) - 0.1 * female)
latent <- rexp(n, rate = 0.025 * frailty[caseworker] * exp(linear))
censor <- runif(n, 10, 120)
weekly$time <- pmin(ceiling(pmin(latent, censor)), 52)
weekly$event <- as.integer(latent <= censor & ceiling(latent) <= 52)
weekly <- weekly[, c("id", "time", "event", "belief", "age", "female", "caseworker", "site")]
write_data(weekly, "frailty_weekly.csv")

set.seed(20260612)
m <- 600
caseworkers <- 45
frailty <- rgamma(caseworkers, shape = 5, scale = 0.2)
rows <- list()
for (i in 1:m) {
  entry <- if (runif(1) < 0.3) sample(1:12, 1) else 0
  age <- round(runif(1, 18, 64))
  belief <- sample(1:5, 1)
  caseworker <- sample(1:caseworkers, 1)
  changed <- 0
  t <- entry
  repeat {
    wave_end <- min((t %/% 13 + 1) * 13, 52)
    rate <- 0.02 * frailty[caseworker] * exp(0.3 * (belief - 3) - 0.015 * (age - 40) + 0.2 * changed)
    leave <- t + ceiling(rexp(1, rate))
    stop <- min(leave, wave_end)
    event <- as.integer(leave <= wave_end)
    rows[[length(rows) + 1]] <- data.frame(
      id = i, start = t, stop = stop, event = event, belief = belief, age = age, changed = changed,
      caseworker = caseworker
    )
    if (event == 1 || stop >= 52) break
    t <- stop
    belief <- min(5, max(1, belief + sample(-1:1, 1)))
    if (runif(1) < 0.15) {
      caseworker <- sample(1:caseworkers, 1)
      changed <- 1
    }
  }
}
counting <- do.call(rbind, rows)
write_data(counting, "frailty_counting.csv")

write_data(survival::kidney[, c("id", "time", "status", "age", "sex", "disease")], "frailty_kidney.csv")
rats <- survival::rats
rats$female <- as.integer(rats$sex == "f")
write_data(rats[, c("litter", "rx", "time", "status", "female")], "frailty_rats.csv")

# ---- cases ------------------------------------------------------------------------------------------

cases <- list()
add <- function(name, file, time, event, x, group, start = NULL, strata = NULL, theta = NULL,
                outer_max = 10, ties = c("efron", "breslow")) {
  for (t in ties) {
    cases[[paste(name, t, sep = "_")]] <<- list(
      file = file, time = time, event = event, x = x, group = group, start = start, strata = strata,
      theta = theta, outer_max = outer_max, ties = t
    )
  }
}
weekly_x <- c("belief", "age", "female")
add("weekly", "frailty_weekly.csv", "time", "event", weekly_x, "caseworker")
add("weekly_strata", "frailty_weekly.csv", "time", "event", weekly_x, "caseworker", strata = "site",
    ties = "efron")
add("weekly_outer3", "frailty_weekly.csv", "time", "event", weekly_x, "caseworker", outer_max = 3,
    ties = "efron")  # stops before the search for theta has converged, as R does silently
add("weekly_fixed", "frailty_weekly.csv", "time", "event", weekly_x, "caseworker", theta = 0.5, ties = "efron")
add("weekly_site", "frailty_weekly.csv", "time", "event", weekly_x, "site", ties = "efron")  # 3 groups: not sparse
add("counting", "frailty_counting.csv", "stop", "event", c("belief", "age", "changed"), "caseworker",
    start = "start")
add("kidney", "frailty_kidney.csv", "time", "status", c("age", "sex"), "id")
add("kidney_disease", "frailty_kidney.csv", "time", "status", c("age", "sex"), "disease", ties = "efron")
add("rats", "frailty_rats.csv", "time", "status", c("rx", "female"), "litter")

fit_case <- function(case) {
  frame <- read.csv(file.path(data_dir, case$file), check.names = FALSE, encoding = "UTF-8")
  response <- if (is.null(case$start)) {
    sprintf("Surv(`%s`, `%s`)", case$time, case$event)
  } else {
    sprintf("Surv(`%s`, `%s`, `%s`)", case$start, case$time, case$event)
  }
  frailty_term <- if (is.null(case$theta)) {
    sprintf("frailty(`%s`, distribution = \"gamma\")", case$group)
  } else {
    sprintf("frailty(`%s`, distribution = \"gamma\", theta = %.17g)", case$group, case$theta)
  }
  terms <- c(sprintf("`%s`", case$x), frailty_term)
  if (!is.null(case$strata)) terms <- c(terms, sprintf("strata(`%s`)", case$strata))
  formula <- as.formula(paste(response, "~", paste(terms, collapse = " + ")))
  fit <- coxph(formula, data = frame, ties = case$ties, control = coxph.control(outer.max = case$outer_max))
  p <- length(case$x)
  history <- fit$history[[1]]
  if (is.null(history$history)) {  # fixed theta: one fit
    trace <- matrix(c(history$theta, NA, history$c.loglik), nrow = 1)
  } else {
    trace <- history$history
  }
  groups <- length(unique(frame[[case$group]]))
  sparse <- groups > 5
  frail <- if (sparse) fit$frail else unname(coef(fit))[-(1:p)]
  list(
    coef = unname(coef(fit))[1:p],
    se = sqrt(diag(fit$var))[1:p],
    se2 = sqrt(diag(fit$var2))[1:p],
    theta = trace[nrow(trace), 1],
    loglik = history$c.loglik,
    loglik_partial = fit$loglik[2],
    loglik_null = fit$loglik[1],
    df = fit$df[p + 1],
    frail = frail,
    history_theta = trace[, 1],
    history_loglik = trace[, 3],
    n = fit$n,
    events = fit$nevent,
    groups = groups,
    iterations = fit$iter
  )
}

# ---- frailty_results.py -----------------------------------------------------------------------------

num <- function(v) ifelse(is.na(v), "None", sprintf("%.17g", v))
py_str <- function(s) if (is.null(s)) "None" else sprintf('"%s"', s)
py_num <- function(v) if (is.null(v)) "None" else num(v)
py_list <- function(values, indent, format = num) {
  pad <- strrep(" ", indent + 4)
  paste0("[\n", paste0(pad, format(values), ",", collapse = "\n"), "\n", strrep(" ", indent), "]")
}

out <- c(
  '"""Reference values for test_frailty.py: R\'s survival::coxph(... + frailty(group, distribution =',
  '"gamma")) on the CSV files in data/.',
  "",
  "GENERATED by frailty.R - do not edit. Regenerate from the repository root with",
  "",
  "    Rscript jobtro/stats/tests/results/frailty.R",
  "",
  sprintf("%s, survival %s.", R.version.string, as.character(packageVersion("survival"))),
  "",
  "Each case: the data file and columns (as fit_cox_frailty takes them; theta when fixed; outer.max),",
  "then R's coefficients, se(coef) and se2, the frailty variance of the final fit (the last theta",
  "tried), the integrated log likelihood there (I-likelihood), R's loglik (null; partial at the",
  "estimates), the frailty term's df, the log frailties, the search history (theta, integrated",
  "loglik), rows, events, groups and iterations (outer, Newton).",
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
    field("group", py_str(case$group)),
    field("start", py_str(case$start)),
    field("strata", py_str(case$strata)),
    field("fixed_theta", py_num(case$theta)),
    field("outer_max", case$outer_max),
    field("ties", py_str(case$ties)),
    field("n", r$n),
    field("events", r$events),
    field("groups", r$groups),
    field("iterations", py_list(r$iterations, 8, format = function(v) sprintf("%d", v))),
    field("coef", py_list(r$coef, 8)),
    field("se", py_list(r$se, 8)),
    field("se2", py_list(r$se2, 8)),
    field("theta", num(r$theta)),
    field("loglik", num(r$loglik)),
    field("loglik_partial", num(r$loglik_partial)),
    field("loglik_null", num(r$loglik_null)),
    field("df", num(r$df)),
    field("frail", py_list(r$frail, 8)),
    field("history_theta", py_list(r$history_theta, 8)),
    field("history_loglik", py_list(r$history_loglik, 8)),
    "    },"
  )
}
out <- c(out, "}")
writeLines(out, file.path(here, "frailty_results.py"))
cat("wrote", file.path(here, "frailty_results.py"), "with", length(cases), "cases\n")
