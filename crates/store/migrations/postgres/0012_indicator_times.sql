-- Indicators may be multiples ('times', e.g. the leverage a risk fund is used at).

alter table indicators drop constraint indicators_unit_check;
alter table indicators add constraint indicators_unit_check
    check (unit in ('yuan', 'count', 'percent', 'pp', 'times'));
