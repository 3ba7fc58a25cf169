import sys
s=open(sys.argv[1]).read()
decl_start=s.index('__device__ unsigned long long sdec_probe')
decl_end=s.index('\n', s.index('#define SDEC_STAMP'))+1
decl=s[decl_start:decl_end]
s=s[:decl_start]+s[decl_end:]
s=s.replace('SDEC_STAMP(5)','SDEC_STAMP(8)').replace('SDEC_STAMP(4)','SDEC_STAMP(7)').replace('SDEC_STAMP(3)','SDEC_STAMP(6)').replace('= 6;','= 9;')
i=s.index('template <int PER>\n__device__ Select select_grouped')
s=s[:i]+decl+s[i:]
j=s.index('__device__ Select select_grouped')
a='        __syncthreads();\n        s = narrow(s, d, pick_bucket_grouped(hist, s.k_rem), top);\n'
k=s.index(a, j)
s=s[:k]+'        if (d == 0) SDEC_STAMP(3);\n        __syncthreads();\n        if (d == 0) SDEC_STAMP(4);\n        s = narrow(s, d, pick_bucket_grouped(hist, s.k_rem), top);\n        if (d == 0) SDEC_STAMP(5);\n'+s[k+len(a):]
open(sys.argv[2],'w').write(s)
