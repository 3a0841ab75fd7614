# Every target creates .venv from requirements.txt on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: report test lab sample lint bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found (looked for python3.11 and python3)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name crm-workbook --display-name "crm-workbook (Python 3.11)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## The main job: the monthly report batch on the embedded sample company.
report: $(STAMP)
	$(PY) -m crm_lib report --data data/sample --out reports --jobs $(JOBS) --cards top:5

## The whole test suite (library, bad-input corpus, every notebook).
test: $(STAMP)
	$(PY) -m ruff check crm_lib tests bench
	CRM_WORKBOOK_BATCH=1 $(PY) -m pytest -n $(JOBS) --dist loadfile --doctest-modules \
		--nbval-lax --ignore=crm_lib/__main__.py tests crm_lib notebooks

## JupyterLab on notebooks/.
lab: $(STAMP)
	cd notebooks && CRM_WORKBOOK_LIVE=1 ../$(PY) -m jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

## Regenerate the embedded sample company (committed in data/sample/).
sample: $(STAMP)
	$(PY) -m crm_lib.sample --customers 3000 --seed 42 --out data/sample

lint: $(STAMP)
	$(PY) -m ruff check crm_lib tests bench

clean:
	rm -rf $(VENV) reports .pytest_cache
