-- 科室：从不删除（前置软件不允许）。
-- table: base_dept
-- key: dept_code
-- watermark: xgsj
-- codes: target_dept_code=department
SELECT k.ksdm AS dept_code,
       k.ksmc AS dept_name,
       k.ksdm AS target_dept_code,
       k.xgsj AS xgsj
FROM xt_ks k
WHERE k.xgsj >= :since AND k.xgsj <= :until
ORDER BY k.xgsj, k.ksdm
