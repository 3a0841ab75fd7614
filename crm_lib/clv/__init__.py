"""Customer lifetime value: the lifetime models, CLV and the replenishment list.

* :class:`BetaGeo` is the BG/NBD model of Fader, Hardie and Lee (2005a), "Counting Your Customers
  the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science* 24 (2), 275-284.
  It predicts how many purchases a customer will make and whether the customer is still "alive"
  from three numbers per customer: ``frequency`` (repeat purchase periods), ``recency`` (periods
  from the first to the last purchase) and ``T`` (periods from the first purchase to the end of
  the observation), as :func:`crm_lib.summary.customer_summary` returns them.
* :class:`GammaGamma` is the spend model of Fader, Hardie and Lee (2005b), "RFM and CLV: Using
  Iso-Value Curves for Customer Base Analysis", *Journal of Marketing Research* 42, 415-430,
  with the notation of Hardie's note "The Gamma-Gamma Model of Monetary Value" (2013).
* :func:`lifetime_value` combines them as lifetimes' ``customer_lifetime_value`` does: monthly
  steps of expected purchases times expected spend, discounted per month.

Both models are fitted by maximum likelihood with numpy and scipy only: the log-likelihood is
vectorised over the *distinct* customer rows (identical rows are compressed into weights), its
analytic gradient drives BFGS in log-parameter space, a few Newton steps on the numerical
Hessian finish the optimum, and the standard errors come from that Hessian (delta method from
log space). The time unit is explicit: a summary records it in ``attrs["freq"]``, a fitted model
keeps it in ``freq_``, and :func:`lifetime_value` refuses a unit that disagrees with either.

The penalizer is lifetimes' L2 penalty: the objective is the mean negative log-likelihood plus
``penalizer * sum(params ** 2)``, with ``alpha`` of the BG/NBD measured in time scaled so that
the longest ``T`` is 1 (lifetimes 0.11.3 scales time the same way).
"""

from crm_lib.clv._bgbb import BetaGeoBetaBinom
from crm_lib.clv._bgnbd import BetaGeo
from crm_lib.clv._compare import compare_models, holdout_errors
from crm_lib.clv._engine import (
    MONTH_DAYS,
    MONTH_LENGTH,
    PERIOD_DAYS,
    NotFittedError,
)
from crm_lib.clv._gammagamma import (
    FM_CORRELATION_LIMIT,
    GammaGamma,
    frequency_monetary_correlation,
)
from crm_lib.clv._interval import INTERVAL_DRAWS, parameter_draws
from crm_lib.clv._mbgnbd import ModifiedBetaGeo
from crm_lib.clv._pareto import ParetoNBD
from crm_lib.clv._report import (
    REPLENISHMENT_BAND,
    REPLENISHMENT_MIN_PROB_ALIVE,
    clv_by,
    describe_unit,
    due_list,
    replenishment,
    top_customers,
)
from crm_lib.clv._sbg import ShiftedBetaGeometric
from crm_lib.clv._value import (
    calibration_end,
    clv_settings,
    cohort_clv,
    gross_margin,
    historical_clv,
    lifetime_value,
    lifetime_value_interval,
)

__all__ = [
    "FM_CORRELATION_LIMIT",
    "INTERVAL_DRAWS",
    "MONTH_DAYS",
    "MONTH_LENGTH",
    "PERIOD_DAYS",
    "REPLENISHMENT_BAND",
    "REPLENISHMENT_MIN_PROB_ALIVE",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "GammaGamma",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "ShiftedBetaGeometric",
    "calibration_end",
    "clv_by",
    "clv_settings",
    "compare_models",
    "cohort_clv",
    "describe_unit",
    "due_list",
    "frequency_monetary_correlation",
    "gross_margin",
    "historical_clv",
    "holdout_errors",
    "lifetime_value",
    "lifetime_value_interval",
    "parameter_draws",
    "replenishment",
    "top_customers",
]
