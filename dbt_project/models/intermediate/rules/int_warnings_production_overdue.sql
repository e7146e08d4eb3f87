{# Rule production_overdue: no actual 投产 on or before as_of and planned_production passed. #}
{{ planned_date_overdue('production_overdue', 'planned_production', 'actual_production_on',
                        'production_overdue_red_days', '计划投产') }}
