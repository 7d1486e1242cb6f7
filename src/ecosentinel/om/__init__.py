"""O&M supervision (运维监管): agencies, staff, maintenance records, assessment and credit rating."""
