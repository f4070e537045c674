/* experiments/cost.c - the `cost` table: what each table of the report cost to produce.

     cost [--out DIR]     reads DIR/<table>.md for every table program, writes DIR/cost.{md,tex}

   Every table program writes a caption line with its profile, seeds, threads, the wall time of the
   invocation, its peak RSS, the commit it was built from and the summed time of its training runs;
   this program collects those lines into one table (run it last: `make tables` does). Tables not
   generated yet are listed as such. Tables share runs (the side tables reuse the lra table's), so
   the last row counts each run once: the records under results/<profile>/runs/ (every run of
   learning_budget, lra, spt_budget, spt_objective, spt_data and ssm_init, read off their wall_s),
   plus the summed run time of the tables that keep their runs elsewhere. */
#define LONGSEQ_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "report.h"
#include <stdlib.h>
#include <string.h>

static const char *const TABLES[] = {"learning_budget", "lra", "spt_budget", "spt_objective",
                                     "spt_data", "ssm_init", "position_probe", "depth",
                                     "length_extrapolation", "arch_scaling"};
#define N_TABLES (int)(sizeof TABLES / sizeof TABLES[0])
/* the tables whose runs live in results/<profile>/runs/ (counted once, from the records) */
static int in_runs_dir(const char *t) {
    static const char *const R[] = {"learning_budget", "lra", "spt_budget", "spt_objective",
                                    "spt_data", "ssm_init"};
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) if (!strcmp(t, R[i])) return 1;
    return 0;
}

/* the text after `key` up to the next " · " (or end of line), into out */
static void field(const char *line, const char *key, char *out, size_t cap) {
    const char *p = strstr(line, key);
    snprintf(out, cap, "—");
    if (!p) return;
    p += strlen(key);
    const char *e = strstr(p, " · "), *nl = strchr(p, '*');
    size_t n = e ? (size_t)(e - p) : nl ? (size_t)(nl - p) : strlen(p);
    if (nl && (size_t)(nl - p) < n) n = (size_t)(nl - p);
    snprintf(out, cap, "%.*s", (int)n, p);
}

int main(int argc, char **argv) {
    ls_cli cli; memset(&cli, 0, sizeof cli);
    cli.out = "paper/tables";
    char err[LS_ERRLEN];
    int rc = ls_cli_parse(&cli, argc, argv, NULL, 0, "The cost table: wall time, peak memory and "
                          "commit of every table of the report.", err);
    if (rc) { if (rc < 0) fprintf(stderr, "cost: %s\n", err); return rc < 0 ? 2 : 0; }
    const char *head[] = {"table", "profile", "seeds", "threads", "wall time",
                          "training runs (summed)", "peak RSS", "commit", "machine"};
    rp_table t;
    rp_table_init(&t, "Cost of each table: wall time of the program, summed time of its training "
                  "runs, peak memory", 9, head, RP_MD | RP_TEX | RP_CSV);
    double other = 0;   /* summed run time of the tables outside runs/ */
    char profile[128] = "";
    for (int i = 0; i < N_TABLES; i++) {
        char path[1024], line[4096] = "";
        snprintf(path, sizeof path, "%s/%s.md", cli.out, TABLES[i]);
        FILE *f = fopen(path, "r");
        int found = 0;
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "*profile ", 9)) { found = 1; break; }
        if (f) fclose(f);
        char c[8][128];
        if (!found) {
            const char *row[9] = {TABLES[i], "not generated", "", "", "", "", "", "", ""};
            rp_table_row(&t, row);
            continue;
        }
        field(line, "*profile ", c[0], 128); field(line, "seeds ", c[1], 128);
        field(line, "threads ", c[2], 128);
        field(line, "wall time of this invocation ", c[3], 128);
        field(line, "summed run time ", c[4], 128);
        field(line, "peak RSS ", c[5], 128); field(line, "commit ", c[6], 128);
        field(line, " · machine ", c[7], 128);   /* "—" in a table generated before it existed */
        const char *row[9] = {TABLES[i], c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
        rp_table_row(&t, row);
        if (!profile[0]) snprintf(profile, sizeof profile, "%s", c[0]);
        if (!in_runs_dir(TABLES[i]) && rp_parse_secs(c[4]) > 0) other += rp_parse_secs(c[4]);
    }
    rp_table_note(&t, "Wall time: the table program's own run (a re-run that finds its rows cached "
                      "takes seconds). Training runs: the summed wall time of every training run "
                      "behind the table, cached or not; runs shared with another table "
                      "(results/<profile>/runs/) count in both.");
    /* every run once: the distinct records under results/<profile>/runs/ plus the rest */
    char dir[256], tot[32], half[32], extra[64];
    int nrec;
    snprintf(dir, sizeof dir, "results/%s/runs", profile[0] ? profile : "cpu");
    double rsec = rp_runs_secs(dir, &nrec);
    if (rsec >= 0) {
        rp_fmt_secs(rsec + other, tot, sizeof tot);
        rp_fmt_secs((rsec + other) / 2, half, sizeof half);
        snprintf(extra, sizeof extra, "%s (each run once)", tot);
        const char *row[9] = {"all tables", profile, "", "", "", extra, "", "", ""};
        rp_table_row(&t, row);
        rp_table_note(&t, "All tables: each run counted once (%d run records in %s, plus the "
                      "tables that keep their runs elsewhere). The runs are independent, and "
                      "`make runs` keeps two 1-thread jobs busy, so on 2 cores the report takes "
                      "about half of that: %s.", nrec, dir, half);
    }
    rp_table_note(&t, "Machine: the CPU the table program ran on (its wall time and peak RSS); "
                  "the training runs' machines are in the next note.");
    char cpus[1024];
    if (rp_runs_cpus(dir, cpus, sizeof cpus) > 0)
        rp_table_note(&t, "Training runs' machines: each run record names the CPU it was trained "
                      "on (records written before 2026-12-07 have no cpu line): %s.", cpus);
    rp_table_note(&t, "Throughput per model against PyTorch: `make bench` (the benchmark table).");
    rp_table *tabs[1] = {&t};
    if (rp_write(cli.out, "cost", tabs, 1, err)) { fprintf(stderr, "cost: %s\n", err); return 1; }
    printf("cost: wrote %s/cost.{md,tex,csv}\n", cli.out);
    rp_table_free(&t);
    return 0;
}
