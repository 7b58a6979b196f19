-- 检验结果明细；物理删除，无删除标志。
-- table: emr_ex_lab_item
-- key: id
-- watermark: xgsj
SELECT m.mxxh AS id,
       m.bgxh AS ex_lab_id,
       m.xmdm AS item_code,
       m.xmmc AS item_name,
       m.jg AS examination_quantification,
       m.dw AS examination_quantification_unit,
       m.jysj AS operation_time,
       '0' AS invalid_flag,
       m.xgsj AS xgsj
FROM yj_jymx m
WHERE m.xgsj >= :since AND m.xgsj <= :until
ORDER BY m.xgsj, m.mxxh
