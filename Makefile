# longseq - `make` builds, `make test` tests, `make data` fetches data, `make all` the report.
#   make test NO_OMP=1   without OpenMP (same results, one thread)
#   make test SAN=1      under AddressSanitizer + UndefinedBehaviorSanitizer
#   make MARCH=          portable build (no -march=native)
# Each variant builds into its own folder, so they never mix objects.

CC      ?= cc
CXX     ?= c++
MARCH   ?= -march=native
OPT     ?= -O3 $(MARCH)
WARN     = -std=c99 -Wall -Wextra -Werror
OMPFLAG  = -fopenmp
VARIANT  =
ifeq ($(NO_OMP),1)
  OMPFLAG =
  VARIANT := $(VARIANT)-noomp
endif
ifeq ($(SAN),1)
  OPT     = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  VARIANT := $(VARIANT)-san
endif
BUILD   = build$(VARIANT)
CFLAGS  = $(WARN) $(OPT) $(OMPFLAG)
LDLIBS  = -lm

HEADERS  = longseq.h $(wildcard experiments/*.h)
TEST_SRC = $(wildcard tests/*.c)
EXP_SRC  = $(wildcard experiments/*.c)
EXPS     = $(patsubst experiments/%.c,$(BUILD)/%,$(EXP_SRC))

.PHONY: build test cxx-check smoke data all clean
build: $(BUILD)/run_tests $(EXPS)

$(BUILD)/run_tests: $(TEST_SRC) tests/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_SRC) -o $@ $(LDLIBS)

$(BUILD)/%: experiments/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# the test runner's last line is "N passed, M failed"; it exits non-zero on any failure
test: $(BUILD)/run_tests
	./$(BUILD)/run_tests

# the headers must also build as C++ (stb's rule)
cxx-check:
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only tests/cxx_check.cpp

# every experiment in its seconds-long smoke profile, so no table rots
smoke: $(EXPS)
	@set -e; for e in $(EXPS); do echo "smoke: $$e"; ./$$e --profile smoke --quiet --out $(BUILD)/smoke; done

data:
	bash experiments/fetch_data.sh data

clean:
	rm -rf build build-*
