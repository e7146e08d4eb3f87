{# Rule start_overdue: no actual 开工 on or before as_of and planned_start passed. #}
{{ planned_date_overdue('start_overdue', 'planned_start', 'actual_start_on',
                        'start_overdue_red_days', '计划开工') }}
