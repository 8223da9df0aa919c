"""Output stage: plan.csv, changes.csv, local_index.csv, summary.json and the plan.xlsx workbook."""
